using Microsoft.Extensions.Logging;

namespace Lanyard.Testing;

/// <summary>
/// The last lines the server under test logged (warnings and errors; the host's logging filters decide), for failure
/// messages: a browser test that times out can then say what the server did meanwhile, which its view of the page cannot.
/// </summary>
public sealed class RecentLogs : ILoggerProvider
{
    private const int Capacity = 100;
    private readonly Queue<(LogLevel Level, string Text)> _lines = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    /// <summary>The kept lines, oldest first.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines.Select(line => line.Text)];
            }
        }
    }

    /// <summary>The kept lines logged at Error or Critical: what an operator would be paged for.</summary>
    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines.Where(line => line.Level >= LogLevel.Error).Select(line => line.Text)];
            }
        }
    }

    /// <summary>The kept lines, oldest first, or a note that there were none.</summary>
    public string Describe()
    {
        lock (_lines)
        {
            return _lines.Count == 0 ? "(the server logged nothing)" : string.Join(Environment.NewLine, _lines.Select(line => line.Text));
        }
    }

    private void Add(LogLevel level, string line)
    {
        lock (_lines)
        {
            if (_lines.Count == Capacity)
            {
                _lines.Dequeue();
            }

            _lines.Enqueue((level, line));
        }
    }

    private sealed class Logger(RecentLogs sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                var error = exception is null ? "" : $" ({exception.GetType().Name}: {exception.Message})";
                sink.Add(logLevel, $"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {logLevel} {category}[{eventId.Id}]: {formatter(state, exception)}{error}");
            }
        }
    }
}
