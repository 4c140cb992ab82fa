/**
 * A table over TanStack Table. Sorting is the server's when `onSortChange` is given (the
 * table only shows and requests it), otherwise the rows sort in place. Rows are reachable
 * with the keyboard: Tab into the table, arrow keys move, Enter opens.
 */
import { flexRender, getCoreRowModel, getSortedRowModel, useReactTable } from '@tanstack/react-table';
import type { ColumnDef, RowData, SortingState } from '@tanstack/react-table';
import { useRef, useState } from 'react';
import type { KeyboardEvent, ReactNode } from 'react';

declare module '@tanstack/react-table' {
  // Column width in pixels for fixed-layout tables (TanStack's own `size` defaults to 150 for every column).
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface ColumnMeta<TData extends RowData, TValue> {
    width?: number;
  }
}

/** The least width of a fixed-layout column without its own `width`, in pixels. */
const FLEXIBLE_MIN_WIDTH = 120;

/** Props of {@link DataTable}. */
export interface DataTableProps<T> {
  data: T[];
  columns: ColumnDef<T, unknown>[];
  /** Accessible name of the table. */
  label: string;
  rowId?: (row: T) => string;
  onRowOpen?: (row: T) => void;
  selectedId?: string;
  /** Server-side sorting: the current sort and a callback; leaves row order alone. */
  sorting?: SortingState;
  onSortChange?: (s: SortingState) => void;
  empty?: ReactNode;
  /** Marks a row (e.g. stale rules). */
  rowClass?: (row: T) => string | undefined;
  /** Fixed layout: columns take their `size`, the one without takes the rest, long text is clipped. */
  fixedLayout?: boolean;
}

/** A sortable, keyboard-navigable table. */
export function DataTable<T>(props: DataTableProps<T>): ReactNode {
  const [localSort, setLocalSort] = useState<SortingState>([]);
  const manual = props.onSortChange !== undefined;
  const table = useReactTable({
    data: props.data,
    columns: props.columns,
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: manual ? undefined : getSortedRowModel(),
    manualSorting: manual,
    enableSortingRemoval: false,
    state: { sorting: manual ? (props.sorting ?? []) : localSort },
    onSortingChange: (up) => {
      const cur = manual ? (props.sorting ?? []) : localSort;
      const next = typeof up === 'function' ? up(cur) : up;
      if (manual) props.onSortChange?.(next);
      else setLocalSort(next);
    },
    getRowId: props.rowId ? (r) => props.rowId!(r) : undefined,
  });
  const body = useRef<HTMLTableSectionElement>(null);

  function onKey(e: KeyboardEvent<HTMLTableRowElement>, row: T): void {
    const tr = e.currentTarget;
    if (e.key === 'ArrowDown' || e.key === 'j') {
      (tr.nextElementSibling as HTMLElement | null)?.focus();
      e.preventDefault();
    } else if (e.key === 'ArrowUp' || e.key === 'k') {
      (tr.previousElementSibling as HTMLElement | null)?.focus();
      e.preventDefault();
    } else if (e.key === 'Enter' && props.onRowOpen) {
      props.onRowOpen(row);
      e.preventDefault();
    }
  }

  const rows = table.getRowModel().rows;
  // A fixed layout never squeezes the flexible columns below this: narrower, the table scrolls in its frame.
  const minWidth = props.fixedLayout ? props.columns.reduce((w, c) => w + (c.meta?.width ?? FLEXIBLE_MIN_WIDTH), 0) : undefined;
  return (
    <div className="table-wrap">
      <table className={props.fixedLayout ? 'data fixed' : 'data'} aria-label={props.label} style={minWidth ? { minWidth } : undefined}>
        <thead>
          {table.getHeaderGroups().map((hg) => (
            <tr key={hg.id}>
              {hg.headers.map((h) => {
                const sorted = h.column.getIsSorted();
                const canSort = h.column.getCanSort();
                return (
                  <th
                    key={h.id}
                    scope="col"
                    style={h.column.columnDef.meta?.width ? { width: h.column.columnDef.meta.width } : undefined}
                    aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : canSort ? 'none' : undefined}
                  >
                    {canSort ? (
                      <button type="button" className="th-sort" onClick={h.column.getToggleSortingHandler()}>
                        {flexRender(h.column.columnDef.header, h.getContext())}
                        <span aria-hidden="true" className="sort-ind">
                          {sorted === 'asc' ? '▲' : sorted === 'desc' ? '▼' : '↕'}
                        </span>
                      </button>
                    ) : (
                      flexRender(h.column.columnDef.header, h.getContext())
                    )}
                  </th>
                );
              })}
            </tr>
          ))}
        </thead>
        <tbody ref={body}>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={props.columns.length} className="empty-cell">
                {props.empty ?? 'Nothing here.'}
              </td>
            </tr>
          ) : (
            rows.map((r) => (
              <tr
                key={r.id}
                data-row-id={r.id}
                tabIndex={0}
                className={[r.id === props.selectedId ? 'selected' : '', props.rowClass?.(r.original) ?? '', props.onRowOpen ? 'clickable' : ''].join(' ').trim() || undefined}
                aria-selected={props.selectedId !== undefined ? r.id === props.selectedId : undefined}
                onClick={(e) => {
                  if ((e.target as HTMLElement).closest('a,button,input,select')) return;
                  props.onRowOpen?.(r.original);
                }}
                onKeyDown={(e) => onKey(e, r.original)}
              >
                {r.getVisibleCells().map((c) => (
                  <td key={c.id}>{flexRender(c.column.columnDef.cell, c.getContext())}</td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}
