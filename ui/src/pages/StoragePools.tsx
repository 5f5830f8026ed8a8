import { enc, type StoragePoolView } from "../api";
import { DeleteButton, useAction } from "../components";
import { ListPage } from "../table";
import { useLiveList } from "./live";
import { bytes, percent } from "../format";

export function StoragePools() {
  const list = useLiveList<StoragePoolView>(
    "/storage-pools",
    (e) => (e.action ?? "").startsWith("storage-pool") || e.action === "instance-created" || e.action === "instance-deleted",
  );
  const action = useAction();
  return (
    <ListPage
      title="Storage pools"
      list={list}
      action={action}
      rowKey={(p) => p.pool.name}
      rowTestid={(p) => `pool-row-${p.pool.name}`}
      columns={[
        { header: "Name", cell: (p) => p.pool.name },
        { header: "Driver", cell: (p) => p.pool.driver },
        { header: "Source", cell: (p) => <code>{p.pool.source}</code> },
        { header: "Used", cell: (p) => `${bytes(p.usage.used_bytes)} (${percent(p.usage.used_bytes, p.usage.total_bytes)})` },
        { header: "Size", cell: (p) => bytes(p.usage.total_bytes) },
        { header: "Instances", cell: (p) => p.instances },
        { header: "Description", cell: (p) => p.pool.description },
        {
          header: "Actions",
          cell: (p) => (
            <DeleteButton
              what={`storage pool ${p.pool.name}`}
              path={`/storage-pools/${enc(p.pool.name)}`}
              text={`The pool ${p.pool.name} will be deleted. The API refuses while it holds instances.`}
              action={action}
              onDeleted={list.reload}
            />
          ),
        },
      ]}
    />
  );
}
