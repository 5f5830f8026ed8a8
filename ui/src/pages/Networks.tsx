import { enc, type NetworkView } from "../api";
import { DeleteButton, useAction } from "../components";
import { ListPage } from "../table";
import { useLiveList } from "./live";
import { href } from "../router";

export function Networks() {
  const list = useLiveList<NetworkView>("/networks", (e) => (e.action ?? "").startsWith("network") || (e.action ?? "").startsWith("instance"));
  const action = useAction();
  return (
    <ListPage
      title="Networks"
      list={list}
      action={action}
      rowKey={(n) => n.network.name}
      rowTestid={(n) => `network-row-${n.network.name}`}
      empty="No networks. Make one on the host with `vessel network create NAME`."
      columns={[
        { header: "Name", cell: (n) => n.network.name },
        { header: "IPv4", cell: (n) => n.network.config["ipv4.address"] ?? "–" },
        { header: "NAT", cell: (n) => n.network.config["ipv4.nat"] ?? "–" },
        { header: "State", cell: (n) => (n.up ? "up" : "down") },
        {
          header: "Used by",
          cell: (n) =>
            n.used_by.length === 0
              ? "–"
              : n.used_by.map((i, k) => (
                  <>
                    {k > 0 && ", "}
                    <a href={href("instances", i)}>{i}</a>
                  </>
                )),
        },
        { header: "Leases", cell: (n) => n.leases.map((l) => `${l.instance} ${l.ipv4_address ?? l.hwaddr}`).join(", ") || "–" },
        { header: "Description", cell: (n) => n.network.description },
        {
          header: "Actions",
          cell: (n) => (
            <DeleteButton
              what={`network ${n.network.name}`}
              path={`/networks/${enc(n.network.name)}`}
              text={`The network ${n.network.name} and its bridge will be deleted. The API refuses while instances use it.`}
              action={action}
              onDeleted={list.reload}
            />
          ),
        },
      ]}
    />
  );
}
