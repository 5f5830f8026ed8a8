import { del, enc, type Operation } from "../api";
import { StatusBadge, useAction } from "../components";
import { ListPage, type Column } from "../table";
import { useLiveList } from "./live";
import { time } from "../format";

export const newestFirst = (operations: Operation[]) => [...operations].sort((a, b) => b.created_at.localeCompare(a.created_at));

/** Columns of this page's table that the dashboard's recent operations show too. */
export const operationColumns = {
  description: { header: "Description", cell: (o) => <span title={o.id}>{o.description}</span> },
  status: { header: "Status", cell: (o) => <StatusBadge status={o.status} /> },
  created: { header: "Created", cell: (o) => time(o.created_at) },
  error: { header: "Error", class: "error-cell", cell: (o) => o.error ?? "" },
} satisfies Record<string, Column<Operation>>;

export function Operations() {
  const list = useLiveList<Operation>("/operations", (e) => e.type === "operation");
  const action = useAction();
  const c = operationColumns;
  return (
    <ListPage
      title="Operations"
      list={list}
      action={action}
      order={newestFirst}
      rowKey={(o) => o.id}
      empty="No operations yet."
      columns={[
        c.description,
        c.status,
        { header: "Resources", cell: (o) => o.resources.join(", ") },
        c.created,
        { header: "Updated", cell: (o) => time(o.updated_at) },
        c.error,
        {
          header: "Actions",
          cell: (o) =>
            o.may_cancel &&
            (o.status === "Running" || o.status === "Pending") && (
              <button type="button" disabled={action.busy !== null} onClick={() => action.run(`cancel ${o.description}`, () => del(`/operations/${enc(o.id)}`))}>
                Cancel
              </button>
            ),
        },
      ]}
    />
  );
}
