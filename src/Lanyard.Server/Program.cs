using Lanyard.Server.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddLanyard();
var app = builder.Build();
return await app.RunLanyardAsync(args);
