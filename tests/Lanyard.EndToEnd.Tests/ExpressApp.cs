using System.Diagnostics;
using System.Text;

namespace Lanyard.EndToEnd.Tests;

/// <summary>
/// The sample Express app (samples/express-wristband) in a Node process of its own, started as its
/// README says (<c>node --require ./localhost-dns.js app.js</c>) and configured only by environment.
/// </summary>
public sealed class ExpressApp : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private int _disposed;
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ExpressApp(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Record(e.Data);
        process.ErrorDataReceived += (_, e) => Record(e.Data);
        process.Exited += (_, _) => _listening.TrySetException(new InvalidOperationException("the app exited before it listened"));
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Everything the app printed so far (its errors included), for failure messages.</summary>
    public string Output { get { lock (_output) { return _output.ToString(); } } }

    public static async Task<ExpressApp> StartAsync(string sampleDirectory, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = sampleDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("--require");
        start.ArgumentList.Add("./localhost-dns.js");
        start.ArgumentList.Add("app.js");
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var app = new ExpressApp(Process.Start(start) ?? throw new InvalidOperationException("node did not start"));
        try
        {
            await app._listening.Task.WaitAsync(StartTimeout);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            var output = app.Output;
            await app.DisposeAsync();
            throw new InvalidOperationException($"The Express app did not start listening: {e.Message}{Environment.NewLine}{output}", e);
        }

        return app;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Record(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (line.StartsWith("Listening on ", StringComparison.Ordinal))
        {
            _listening.TrySetResult();
        }
    }
}
