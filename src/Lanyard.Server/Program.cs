using Lanyard.Server.Hosting;

// The slim builder: no IIS integration, HTTP/3, hosting-startup assemblies or regex route constraints, which
// Lanyard does not use, so they are neither loaded nor resident (ADR 0013).
var builder = WebApplication.CreateSlimBuilder(args);
builder.AddLanyard();
var app = builder.Build();
return await app.RunLanyardAsync(args);
