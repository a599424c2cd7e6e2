using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Lanyard.Server.Tests")]
[assembly: InternalsVisibleTo("Lanyard.EndToEnd.Tests")]
