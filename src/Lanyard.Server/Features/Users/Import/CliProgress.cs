using System.Globalization;
using System.Text;

namespace Lanyard.Server.Features.Users.Import;

/// <summary>
/// Progress of a long command on standard error: on a terminal, one line redrawn in place as a bar (at
/// most ten times a second); otherwise (a log file, CI) a plain line at every tenth of the work, or every
/// ten seconds when the total is unknown, so logs stay readable. Messages (failed rows) print above the bar.
/// </summary>
internal sealed class CliProgress(TextWriter output, bool interactive, TimeProvider time, string label)
{
    private const int BarWidth = 30;
    private static readonly TimeSpan RedrawEvery = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan PlainEvery = TimeSpan.FromSeconds(10);

    private readonly long _started = time.GetTimestamp();
    private long _lastDrawn = long.MinValue;
    private int _lastTenth = -1;
    private int _drawnLength;
    private string _current = "";

    public TimeSpan Elapsed => time.GetElapsedTime(_started);

    /// <summary><paramref name="fraction"/> is the share done (0–1) when known; <paramref name="detail"/> the counts to show.</summary>
    public void Update(double? fraction, string detail, bool force = false)
    {
        var now = time.GetTimestamp();
        if (interactive)
        {
            _current = Bar(fraction, detail);
            if (force || _lastDrawn == long.MinValue || time.GetElapsedTime(_lastDrawn, now) >= RedrawEvery)
            {
                Draw(_current);
                _lastDrawn = now;
            }

            return;
        }

        var tenth = fraction is { } f ? (int)Math.Floor(Math.Clamp(f, 0, 1) * 10) : -1;
        var due = fraction is null
            ? _lastDrawn == long.MinValue || time.GetElapsedTime(_lastDrawn, now) >= PlainEvery
            : tenth > _lastTenth;
        if (force || due)
        {
            output.WriteLine(fraction is { } g
                ? string.Create(CultureInfo.InvariantCulture, $"{label}: {g * 100:0}% {detail}")
                : $"{label}: {detail}");
            _lastDrawn = now;
            _lastTenth = Math.Max(_lastTenth, tenth);
        }
    }

    /// <summary>A line of its own (a failed row); on a terminal the bar is redrawn below it.</summary>
    public void Message(string line)
    {
        if (interactive && _drawnLength > 0)
        {
            output.Write('\r');
            output.Write(new string(' ', _drawnLength));
            output.Write('\r');
            _drawnLength = 0;
            output.WriteLine(line);
            Draw(_current);
            return;
        }

        output.WriteLine(line);
    }

    /// <summary>Leaves the finished bar on its line.</summary>
    public void Finish(double? fraction, string detail)
    {
        Update(fraction, detail, force: true);
        if (interactive)
        {
            output.WriteLine();
        }

        output.Flush();
    }

    /// <summary>Items per second so far.</summary>
    public double Rate(long done) => done / Math.Max(Elapsed.TotalSeconds, 0.001);

    private string Bar(double? fraction, string detail)
    {
        var text = new StringBuilder(label).Append(' ');
        if (fraction is { } f)
        {
            var filled = (int)Math.Round(Math.Clamp(f, 0, 1) * BarWidth);
            text.Append('[').Append('#', filled).Append('.', BarWidth - filled).Append("] ")
                .Append(string.Create(CultureInfo.InvariantCulture, $"{f * 100,3:0}% "));
        }

        return text.Append(detail).ToString();
    }

    private void Draw(string line)
    {
        // Overwrite the previous line in place; pad so a shorter line leaves nothing behind.
        output.Write('\r');
        output.Write(line);
        if (line.Length < _drawnLength)
        {
            output.Write(new string(' ', _drawnLength - line.Length));
        }

        _drawnLength = line.Length;
        output.Flush();
    }
}
