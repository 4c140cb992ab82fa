/**
 * A chart drawn by Observable Plot, as wide as its container. Plot builds the SVG in one
 * synchronous pass, a few milliseconds per chart: recharts, which the overview used before,
 * spent about half a second of its first render laying out three small charts. Colours are
 * CSS variables, so a theme switch restyles the SVG without drawing it again.
 */
import * as Plot from '@observablehq/plot';
import { useLayoutEffect, useRef } from 'react';
import type { ReactNode } from 'react';

/** Axis and label styling shared by every chart: muted text, the page's font size. */
const STYLE = { color: 'var(--muted)', background: 'transparent', fontSize: '12px', overflow: 'visible' };

export function PlotFigure(props: { height: number; label: string; testId?: string; plot(width: number): Plot.PlotOptions }): ReactNode {
  const box = useRef<HTMLDivElement>(null);
  const { plot, height } = props;
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    let drawnWidth = -1;
    const draw = () => {
      const width = Math.floor(el.clientWidth);
      if (width <= 0 || width === drawnWidth) return;
      drawnWidth = width;
      el.replaceChildren(Plot.plot({ style: STYLE, ...plot(width), width, height }));
    };
    draw();
    const resize = new ResizeObserver(draw);
    resize.observe(el);
    return () => resize.disconnect();
  }, [plot, height]);
  return <div ref={box} className="chart" style={{ minHeight: height }} role="img" aria-label={props.label} data-testid={props.testId} />;
}

export { Plot };
