/**
 * The findings filter bar: every filter criterion as a labelled control, bound to the query
 * string. Severity and status are toggle chips; the rest sit in text, range and date boxes
 * that apply on Enter or when focus leaves them.
 */
import { useEffect, useState } from 'react';
import type { ReactNode } from 'react';
import type { FilterField } from '../filters.js';
import { FILTER_FIELDS } from '../filters.js';
import { enumLabel, severityLabel } from '../format.js';
import { setParams } from '../router.js';

const PRIMARY = ['severity', 'status', 'fix', 'kev', 'vuln', 'pkg', 'resource', 'sla'];

/** The filter bar over the current query string. */
export function FilterBar(props: { params: URLSearchParams }): ReactNode {
  const { params } = props;
  const secondary = FILTER_FIELDS.filter((f) => !PRIMARY.includes(f.param));
  const [more, setMore] = useState(() => secondary.some((f) => params.get(f.param)));
  const active = FILTER_FIELDS.filter((f) => params.get(f.param)).length;

  function clearAll(): void {
    setParams(Object.fromEntries(FILTER_FIELDS.map((f) => [f.param, undefined])));
  }

  return (
    <form className="filter-bar" role="search" aria-label="Filter findings" onSubmit={(e) => e.preventDefault()}>
      <div className="filter-row">
        {FILTER_FIELDS.filter((f) => PRIMARY.includes(f.param)).map((f) => (
          <Control key={f.param} field={f} params={params} first={f.param === 'vuln'} />
        ))}
      </div>
      {more ? (
        <div className="filter-row">
          {secondary.map((f) => (
            <Control key={f.param} field={f} params={params} />
          ))}
        </div>
      ) : null}
      <div className="filter-actions">
        <button type="button" className="link" aria-expanded={more} onClick={() => setMore(!more)}>
          {more ? 'Fewer filters' : 'More filters'}
        </button>
        {active ? (
          <button type="button" className="link" onClick={clearAll}>
            Clear {active} filter{active > 1 ? 's' : ''}
          </button>
        ) : null}
        <span className="muted small">
          Text: <code>x</code> equals, <code>x*</code> prefix, <code>!x</code> not; several with commas. Ranges: <code>7-10</code>.
        </span>
      </div>
    </form>
  );
}

function Control(props: { field: FilterField; params: URLSearchParams; first?: boolean }): ReactNode {
  const { field: f, params } = props;
  const value = params.get(f.param) ?? '';
  if (f.kind === 'enum') return <EnumChips field={f} value={value} />;
  if (f.kind === 'bool')
    return (
      <label className="fc">
        <span>{f.label}</span>
        <select value={value} onChange={(e) => setParams({ [f.param]: e.target.value || undefined })}>
          <option value="">Any</option>
          <option value="yes">Yes</option>
          <option value="no">No</option>
        </select>
      </label>
    );
  if (f.kind === 'date') return <DateRange field={f} value={value} />;
  return <TextBox field={f} value={value} focusKey={props.first} />;
}

function EnumChips(props: { field: FilterField; value: string }): ReactNode {
  const { field: f } = props;
  const selected = new Set(props.value ? props.value.split(',') : []);
  function toggle(o: string): void {
    const next = new Set(selected);
    if (next.has(o)) next.delete(o);
    else next.add(o);
    const ordered = (f.options ?? []).filter((x) => next.has(x));
    // No status chip at all means every status: said explicitly, since no `status` means active.
    setParams({ [f.param]: ordered.join(',') || (f.param === 'status' ? 'ALL' : undefined) });
  }
  return (
    <fieldset className="fc chips">
      <legend>{f.label}</legend>
      {(f.options ?? []).map((o) => (
        <button
          key={o}
          type="button"
          className={`chip${selected.has(o) ? ' on' : ''}${f.param === 'severity' ? ` chip-${o.toLowerCase()}` : ''}`}
          aria-pressed={selected.has(o)}
          onClick={() => toggle(o)}
        >
          {f.param === 'severity' ? severityLabel(o) : enumLabel(o)}
        </button>
      ))}
    </fieldset>
  );
}

function TextBox(props: { field: FilterField; value: string; focusKey?: boolean }): ReactNode {
  const { field: f } = props;
  const [draft, setDraft] = useState(props.value);
  useEffect(() => setDraft(props.value), [props.value]);
  const id = `f-${f.param}`;
  const commit = (): void => {
    if (draft.trim() !== props.value) setParams({ [f.param]: draft.trim() || undefined });
  };
  return (
    <div className="fc">
      <label htmlFor={id}>{f.label}</label>
      <input
        id={id}
        type="search"
        value={draft}
        placeholder={f.placeholder}
        data-filter-focus={props.focusKey ? '' : undefined}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit();
          if (e.key === 'Escape') setDraft(props.value);
        }}
        size={f.kind === 'number' ? 7 : 16}
      />
    </div>
  );
}

function DateRange(props: { field: FilterField; value: string }): ReactNode {
  const { field: f } = props;
  const [from = '', to = ''] = props.value.split('..');
  const set = (a: string, b: string): void => setParams({ [f.param]: a || b ? `${a}..${b}` : undefined });
  return (
    <fieldset className="fc dates">
      <legend>{f.label}</legend>
      <label>
        <span className="sr-only">{f.label} from</span>
        <input type="date" value={from} onChange={(e) => set(e.target.value, to)} aria-label={`${f.label} from`} />
      </label>
      <span aria-hidden="true">–</span>
      <label>
        <span className="sr-only">{f.label} to</span>
        <input type="date" value={to} onChange={(e) => set(from, e.target.value)} aria-label={`${f.label} to`} />
      </label>
    </fieldset>
  );
}
