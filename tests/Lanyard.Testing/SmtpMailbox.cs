using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Lanyard.Testing;

/// <summary>
/// A real SMTP server on loopback (<c>tests/mailbox</c>: Node's smtp-server and mailparser) in a process
/// of its own, with every message it received readable over its HTTP API. Point Lanyard at it with
/// <c>Lanyard:Email:Smtp:Host=127.0.0.1</c> and <c>Lanyard:Email:Smtp:Port=</c><see cref="SmtpPort"/>.
/// The process ends with this object, and also when the test process dies (it exits when its stdin closes).
/// </summary>
public sealed class SmtpMailbox : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan NpmTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan DefaultWaitTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // Test classes run in parallel; two `npm ci` in one folder delete each other's node_modules, so the
    // install happens once per test process.
    private static readonly Lazy<Task> NodePackages = new(() => EnsureNodePackagesAsync(MailboxDirectory()));

    private readonly Process _process;
    private readonly StringBuilder _stderr;
    private readonly HttpClient _http;

    private SmtpMailbox(Process process, StringBuilder stderr, int smtpPort, int httpPort)
    {
        _process = process;
        _stderr = stderr;
        SmtpPort = smtpPort;
        HttpPort = httpPort;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}/"), Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>The SMTP port on 127.0.0.1 (plain text, no STARTTLS; AUTH PLAIN and LOGIN).</summary>
    public int SmtpPort { get; }

    /// <summary>The HTTP API's port on 127.0.0.1: <c>GET /messages</c>, <c>DELETE /messages</c>.</summary>
    public int HttpPort { get; }

    /// <summary>What the mailbox process wrote on standard error so far.</summary>
    public string StandardError { get { lock (_stderr) { return _stderr.ToString(); } } }

    /// <summary>
    /// Starts a mailbox on free ports. With <paramref name="username"/> and <paramref name="password"/>,
    /// AUTH succeeds only with exactly those; without, any credentials are accepted. Sending without AUTH
    /// is always accepted (each message records the user it authenticated as, if any).
    /// </summary>
    public static async Task<SmtpMailbox> StartAsync(string? username = null, string? password = null, int port = 0)
    {
        await NodePackages.Value;

        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = MailboxDirectory(),
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("server.js");
        start.Environment["SMTP_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["HTTP_PORT"] = "0";
        start.Environment.Remove("SMTP_USER");
        start.Environment.Remove("SMTP_PASS");
        if (username is not null)
        {
            start.Environment["SMTP_USER"] = username;
        }

        if (password is not null)
        {
            start.Environment["SMTP_PASS"] = password;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start (is Node.js installed?)");
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stderr)
                {
                    stderr.AppendLine(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();

        string? line = null;
        string? failure = null;
        try
        {
            using var timeout = new CancellationTokenSource(StartTimeout);
            line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            failure = line is null ? $"it exited (code {ExitCodeOf(process)}) before printing its ports" : null;
        }
        catch (OperationCanceledException)
        {
            failure = $"it printed no ports within {StartTimeout.TotalSeconds:0} s";
        }

        int smtpPort = 0, httpPort = 0;
        if (failure is null)
        {
            try
            {
                using var ports = JsonDocument.Parse(line!);
                smtpPort = ports.RootElement.GetProperty("smtpPort").GetInt32();
                httpPort = ports.RootElement.GetProperty("httpPort").GetInt32();
            }
            catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                failure = $"its first line is not {{\"smtpPort\":N,\"httpPort\":M}}: {line}";
            }
        }

        if (failure is not null)
        {
            Stop(process);
            string errors;
            lock (stderr)
            {
                errors = stderr.ToString();
            }

            process.Dispose();
            throw new InvalidOperationException($"The test mailbox (node server.js in {MailboxDirectory()}) did not start: {failure}.{Environment.NewLine}stderr:{Environment.NewLine}{errors}");
        }

        return new SmtpMailbox(process, stderr, smtpPort, httpPort);
    }

    /// <summary>Every message received since the start or the last <see cref="ClearAsync"/>, oldest first.</summary>
    public async Task<IReadOnlyList<MailboxMessage>> MessagesAsync(CancellationToken cancellationToken = default) =>
        await _http.GetFromJsonAsync<List<MailboxMessage>>("messages", Json, cancellationToken) ?? [];

    /// <summary>
    /// The first message to <paramref name="to"/> (envelope recipient, case-insensitive) that matches
    /// <paramref name="predicate"/>, polling every 100 ms; a <see cref="TimeoutException"/> listing what did
    /// arrive after <paramref name="timeout"/> (15 s by default).
    /// </summary>
    public async Task<MailboxMessage> WaitForMessageAsync(string to, Func<MailboxMessage, bool>? predicate = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(to);
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? DefaultWaitTimeout;
        IReadOnlyList<MailboxMessage> messages;
        while (true)
        {
            messages = await MessagesAsync();
            var match = messages.FirstOrDefault(m =>
                m.To.Any(address => string.Equals(address, to, StringComparison.OrdinalIgnoreCase)) && (predicate is null || predicate(m)));
            if (match is not null)
            {
                return match;
            }

            if (deadline.Elapsed >= limit || _process.HasExited)
            {
                break;
            }

            await Task.Delay(PollInterval);
        }

        var arrived = messages.Count == 0
            ? "  (none)"
            : string.Join(Environment.NewLine, messages.Select(m => $"  - #{m.Id} to {string.Join(", ", m.To)}, type {m.EmailType ?? "-"}, subject '{m.Subject}'"));
        var exited = _process.HasExited ? $" The mailbox process exited; stderr:{Environment.NewLine}{StandardError}" : "";
        throw new TimeoutException($"No matching email to {to} arrived within {limit.TotalSeconds:0.#} s. Received:{Environment.NewLine}{arrived}{exited}");
    }

    /// <summary>Forgets every message received so far.</summary>
    public async Task ClearAsync()
    {
        using var response = await _http.DeleteAsync(new Uri("messages", UriKind.Relative));
        response.EnsureSuccessStatusCode();
    }

    /// <summary>
    /// The first URL in <paramref name="text"/> that starts with <paramref name="startsWith"/> (for example
    /// <c>https://demo-auth.localhost/</c>), up to the next whitespace, quote or angle bracket; null if none.
    /// Meant for the plain-text body (an HTML body would need its entities decoded).
    /// </summary>
    public static string? FirstLink(string text, string startsWith)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentException.ThrowIfNullOrEmpty(startsWith);
        var start = text.IndexOf(startsWith, StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        var end = start + startsWith.Length;
        while (end < text.Length && !char.IsWhiteSpace(text[end]) && text[end] is not ('"' or '\'' or '<' or '>'))
        {
            end++;
        }

        // Sentence punctuation right after a link is not part of it.
        while (end > start + startsWith.Length && text[end - 1] is '.' or ',' or ';' or ':' or '!' or '?' or ')')
        {
            end--;
        }

        return text[start..end];
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        Stop(_process);
        try
        {
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _process.WaitForExitAsync(exit.Token);
        }
        catch (OperationCanceledException)
        {
            // Killed already; nothing more to wait for.
        }

        _process.Dispose();
    }

    private static void Stop(Process process)
    {
        try
        {
            process.StandardInput.Close();
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        catch (IOException)
        {
            // Its stdin pipe is already closed.
        }
    }

    private static string ExitCodeOf(Process process)
    {
        try
        {
            return process.WaitForExit(TimeSpan.FromSeconds(2)) ? process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : "?";
        }
        catch (InvalidOperationException)
        {
            return "?";
        }
    }

    private static string MailboxDirectory() => Path.Combine(RepositoryRoot(), "tests", "mailbox");

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Lanyard.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Lanyard.slnx above {AppContext.BaseDirectory}.");
    }

    /// <summary>A clean clone has no node_modules: install exactly what package-lock.json pins.</summary>
    private static async Task EnsureNodePackagesAsync(string directory)
    {
        if (Directory.Exists(Path.Combine(directory, "node_modules", "smtp-server")) && Directory.Exists(Path.Combine(directory, "node_modules", "mailparser")))
        {
            return;
        }

        var start = new ProcessStartInfo("npm") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["ci", "--no-audit", "--no-fund"])
        {
            start.ArgumentList.Add(arg);
        }

        using var npm = Process.Start(start) ?? throw new InvalidOperationException("npm did not start (is Node.js installed?)");
        var stdout = npm.StandardOutput.ReadToEndAsync();
        var stderr = npm.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(NpmTimeout);
        await npm.WaitForExitAsync(timeout.Token);
        if (npm.ExitCode != 0)
        {
            throw new InvalidOperationException($"npm ci failed in {directory} (exit {npm.ExitCode}):{Environment.NewLine}{await stdout}{await stderr}");
        }
    }
}

/// <summary>One message as the test mailbox received and parsed it.</summary>
/// <param name="To">Envelope recipients (RCPT TO).</param>
/// <param name="From">Address in the From header.</param>
/// <param name="FromName">Display name in the From header, if any.</param>
/// <param name="EnvelopeFrom">MAIL FROM.</param>
/// <param name="Html">Null for a text-only message.</param>
/// <param name="MessageId">The Message-Id header, angle brackets included.</param>
/// <param name="Headers">Every header, lower-case name to unfolded value (the last one when repeated).</param>
/// <param name="AuthUser">The user the client authenticated as, or null if it sent without AUTH.</param>
public sealed record MailboxMessage(
    int Id,
    IReadOnlyList<string> To,
    string? From,
    string? FromName,
    string? EnvelopeFrom,
    string? Subject,
    string? Text,
    string? Html,
    string? MessageId,
    IReadOnlyDictionary<string, string> Headers,
    string? AuthUser,
    DateTimeOffset ReceivedAt)
{
    /// <summary>The <c>X-Lanyard-Email-Type</c> header.</summary>
    public string? EmailType => Header("x-lanyard-email-type");

    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var value) ? value : null;
}
