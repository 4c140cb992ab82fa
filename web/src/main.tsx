/** Entry point: mounts the dashboard. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { preloadPage } from './pages/index.js';
import { initialAccount, storedSession } from './session.js';
import './styles.css';

const session = storedSession();
preloadPage(window.location.pathname, session ? { key: session.key, account: initialAccount(session.principal) } : undefined);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
