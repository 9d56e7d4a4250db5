// `meshwork-proxy`: the sidecar, gateway and network proxy, compiled ahead of time.
return await Meshwork.Proxy.ProxyProgram.RunAsync(args);
