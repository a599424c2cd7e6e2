namespace Lanyard.Server.Common;

internal static class DataDirectory
{
    /// <summary>
    /// Creates the data directory readable by its owner only: it holds the database, the master key,
    /// the development CA key and bootstrap.json.
    /// </summary>
    public static void Ensure(string path)
    {
        if (Directory.Exists(path))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
