import '@fluentui/web-components/badge.js';
import '@fluentui/web-components/button.js';
import '@fluentui/web-components/message-bar.js';
import '@fluentui/web-components/spinner.js';
import '@fluentui/web-components/divider.js';
import { setTheme } from '@fluentui/web-components';
import { webLightTheme } from '@fluentui/tokens';
import './styles.css';
import './app.js';

// Fluent's design tokens, as CSS custom properties in a constructed style sheet (no inline style).
setTheme(webLightTheme);
