import { enc, type Image } from "../api";
import { DeleteButton, useAction } from "../components";
import { ListPage } from "../table";
import { useLiveList } from "./live";
import { bytes, short, time } from "../format";

export function Images() {
  const list = useLiveList<Image>("/images?recursion=1", (e) => (e.action ?? "").startsWith("image") || (e.operation?.resources ?? []).includes("/1.0/images"));
  const action = useAction();
  return (
    <ListPage
      title="Images"
      list={list}
      action={action}
      rowKey={(i) => i.fingerprint}
      rowTestid={(i) => `image-row-${short(i.fingerprint)}`}
      empty="No images. Build one on the host with `vessel image build busybox`."
      columns={[
        { header: "Aliases", cell: (i) => i.aliases.join(", ") || "–" },
        { header: "Fingerprint", cell: (i) => <code title={i.fingerprint}>{short(i.fingerprint)}</code> },
        { header: "Type", cell: (i) => i.type },
        { header: "Architecture", cell: (i) => i.architecture },
        { header: "Format", cell: (i) => i.format },
        { header: "Size", cell: (i) => bytes(i.size) },
        { header: "Created", cell: (i) => time(i.created_at) },
        {
          header: "Actions",
          cell: (i) => (
            <DeleteButton
              what={`image ${short(i.fingerprint)}`}
              path={`/images/${enc(i.fingerprint)}`}
              text={`The ${i.type} image ${i.aliases.join(", ") || short(i.fingerprint)} will be deleted from the image store.`}
              action={action}
              onDeleted={list.reload}
            />
          ),
        },
      ]}
    />
  );
}
