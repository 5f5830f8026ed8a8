using Vessel.Engines.Container.Init;
using Vessel.Engines.Container.Shim;

// vessel-shim run DIR: supervise the container whose spec is DIR/spec.json (started by vesseld).
// vessel-shim init: inside the container's new namespaces, prepare its root and exec its init (started by run).
return args switch
{
    ["run", var runDirectory] => ContainerShim.Run(runDirectory),
    ["init"] => ContainerInit.Run(),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: vessel-shim run DIR | vessel-shim init   (started by vesseld, not by hand)");
    return 2;
}
