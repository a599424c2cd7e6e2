using Lanyard.Server.Common;
using System.Text.Json;
using System.Text.Json.Serialization;
using Lanyard.Server.Hosting;

namespace Lanyard.Server.Features.Bootstrap;

/// <summary>What a developer needs after the first run: ids, endpoints and the generated secrets.</summary>
internal sealed record BootstrapValues(
    string ApplicationId,
    string ApplicationVanityDomain,
    string TenantHostStyle,
    string AdminClientId,
    string AdminClientSecret,
    string DemoTenantName,
    string DemoUserEmail,
    string DemoUserPassword,
    string DemoClientId,
    string DemoClientSecret,
    string DemoClientRedirectUri,
    string DemoClientLoginUrl,
    string HttpsUrl,
    string HttpUrl,
    string? DevCaCertificatePath);

/// <summary>
/// <c>./data/bootstrap.json</c>. It holds secrets, so it is created with mode 0600 from the start
/// (never written first and narrowed after) and only the owner can read it.
/// </summary>
internal sealed class BootstrapFile(ServerSettings settings)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public string Path => System.IO.Path.Combine(settings.DataDirectory, "bootstrap.json");

    public async Task WriteAsync(BootstrapValues values, CancellationToken cancellationToken)
    {
        DataDirectory.Ensure(settings.DataDirectory);
        // Recreate rather than overwrite: an existing file keeps its old mode when overwritten.
        File.Delete(Path);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using var stream = new FileStream(Path, options);
        await JsonSerializer.SerializeAsync(stream, values, Json, cancellationToken);
    }
}
