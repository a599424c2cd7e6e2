using System.Security.Cryptography;
using Lanyard.Server.Common;

namespace Lanyard.Server.Hosting;

/// <summary>
/// Supplies the <see cref="MasterKey"/>: from configuration when set (required outside development),
/// else from <c>{data}/master.key</c>, created with mode 0600 on the first development run.
/// </summary>
internal static class MasterKeyStore
{
    public static MasterKey Load(ServerSettings settings)
    {
        if (settings.MasterKey is { } configured)
        {
            return new MasterKey(configured);
        }

        if (!settings.IsDevelopment)
        {
            throw new InvalidSettingsException(["Lanyard:Secrets:MasterKey is required outside development."]);
        }

        var path = Path.Combine(settings.DataDirectory, "master.key");
        if (File.Exists(path))
        {
            return new MasterKey(Convert.FromBase64String(File.ReadAllText(path).Trim()));
        }

        DataDirectory.Ensure(settings.DataDirectory);
        var key = RandomNumberGenerator.GetBytes(32);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(Convert.ToBase64String(key));
        }

        return new MasterKey(key);
    }
}
