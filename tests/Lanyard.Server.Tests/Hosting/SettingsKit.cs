using Lanyard.Server.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;

namespace Lanyard.Server.Tests.Hosting;

/// <summary><see cref="ServerSettings"/> read by the real loader from given keys, for tests of one component without a server.</summary>
internal static class SettingsKit
{
    public static ServerSettings Load(Dictionary<string, string?> settings, string environment = "Development")
    {
        var values = new Dictionary<string, string?>(settings);
        values.TryAdd("Lanyard:DataDirectory", Path.Combine(Path.GetTempPath(), "lanyard-tests-unused"));
        values.TryAdd("Lanyard:Application:VanityDomain", "auth.localhost:5443");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        return ServerSettings.LoadOrThrow(configuration, new TestEnvironment(environment));
    }

    private sealed class TestEnvironment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;
        public string ApplicationName { get; set; } = "lanyard";
        public string ContentRootPath { get; set; } = AppContext.BaseDirectory;
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
