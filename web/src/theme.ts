/** Light and dark themes: follows the system until the user picks one, then remembers it. */
import { useEffect, useState } from 'react';

/** A theme choice. */
export type Theme = 'light' | 'dark';

const STORE = 'vigil.theme';

function initial(): Theme {
  const saved = localStorage.getItem(STORE);
  if (saved === 'light' || saved === 'dark') return saved;
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/** The current theme and a toggle; sets `data-theme` on the document element. */
export function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>(initial);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  return [
    theme,
    () =>
      setTheme((t) => {
        const next = t === 'dark' ? 'light' : 'dark';
        localStorage.setItem(STORE, next);
        return next;
      }),
  ];
}
