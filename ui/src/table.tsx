// Tables of rows, and the list page that is one table.
import type { ComponentChildren } from "preact";
import { ActionStatus, Loaded, type Action } from "./components";

export interface Column<T> {
  header: string;
  cell: (row: T) => ComponentChildren;
  class?: string;
}

interface TableProps<T> {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  rowTestid?: (row: T) => string;
  empty?: ComponentChildren;
}

/** A table of rows, one column each; the caption names the table for screen readers. Shows `empty` instead when there are no rows. */
export function Table<T>(props: TableProps<T>) {
  const { columns } = props;
  if (props.rows.length === 0 && props.empty !== undefined) return <p>{props.empty}</p>;
  return (
    <div class="table-wrap">
      <table>
        <caption class="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.header} scope="col">
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr key={props.rowKey(row)} data-testid={props.rowTestid?.(row)}>
              {columns.map((c) => (
                <td key={c.header} class={c.class}>
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A page that is one list in a table: its title, the progress of the page's action, the list's loading states, the table. */
export function ListPage<T>(
  props: { title: string; list: { value: T[] | undefined; error: string | null }; action: Action; order?: (rows: T[]) => T[] } & Omit<TableProps<T>, "caption" | "rows">,
) {
  const { title, list, action, order, ...table } = props;
  return (
    <>
      <h1>{title}</h1>
      <ActionStatus busy={action.busy} error={action.error} />
      <Loaded load={list} label={`Loading ${title.toLowerCase()}`}>
        {(rows) => <Table caption={title} rows={order ? order(rows) : rows} {...table} />}
      </Loaded>
    </>
  );
}
