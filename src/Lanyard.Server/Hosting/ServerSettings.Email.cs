using System.Net.Mail;
using Lanyard.Server.Common;

namespace Lanyard.Server.Hosting;

/// <summary>How the SMTP connection is secured.</summary>
internal enum SmtpSecurity
{
    /// <summary>TLS on connect for port 465, otherwise STARTTLS when the server offers it.</summary>
    Auto,

    /// <summary>Plain text; only for a relay on the same host or a test server.</summary>
    None,

    /// <summary>STARTTLS, required: the connection fails when the server does not offer it.</summary>
    StartTls,

    /// <summary>TLS from the first byte (SMTPS, usually port 465).</summary>
    Tls,
}

/// <summary>Email delivery: the sender address, the SMTP server (none: mail is only logged) and the outbox's pace.</summary>
internal sealed record EmailSettings
{
    /// <summary>Null when <c>Lanyard:Email:Smtp:Host</c> is not set: emails are logged (type and recipient domain), not sent.</summary>
    public SmtpSettings? Smtp { get; init; }

    /// <summary>The envelope and header sender of every email; the display name is the application's or tenant's.</summary>
    public required string FromAddress { get; init; }

    /// <summary>Deliveries tried per email before the outbox gives up on it.</summary>
    public required int MaxAttempts { get; init; }

    /// <summary>The delay before the first retry; later retries back off from it.</summary>
    public required TimeSpan RetryBaseDelay { get; init; }

    /// <summary>How often the outbox worker looks for due emails.</summary>
    public required TimeSpan PollInterval { get; init; }

    /// <summary>False: subject and bodies (which hold action links) are wiped from the outbox once delivered.</summary>
    public required bool KeepSentBodies { get; init; }
}

/// <summary>The SMTP server emails are handed to.</summary>
internal sealed record SmtpSettings
{
    public required string Host { get; init; }
    public required int Port { get; init; }
    public required SmtpSecurity Security { get; init; }
    public string? Username { get; init; }
    public string? Password { get; init; }

    /// <summary>Limit on connecting and on each network operation of one delivery.</summary>
    public required TimeSpan Timeout { get; init; }

    /// <summary>The password is a secret: it never appears in logs or in exception messages that print the record.</summary>
    public override string ToString() =>
        $"SmtpSettings {{ Host = {Host}, Port = {Port}, Security = {Security}, Username = {Username}, Password = {(Password is null ? "" : "***")}, Timeout = {Timeout} }}";
}

internal sealed partial record ServerSettings
{
    private static readonly string[] SmtpKeysBesidesHost = ["Port", "Security", "Username", "Password", "TimeoutSeconds"];

    private static EmailSettings LoadEmail(Reader reader, List<string> errors, bool dev, string vanityDomain)
    {
        var fromAddress = reader.String("Email:FromAddress", null);
        if (fromAddress is null)
        {
            fromAddress = "no-reply@" + Normalize.Host(vanityDomain);
        }
        else if (!IsPlainEmailAddress(fromAddress))
        {
            errors.Add($"{Section}:Email:FromAddress = '{fromAddress}' is not valid: use a plain email address such as no-reply@example.com (the display name is set per email).");
        }

        return new EmailSettings
        {
            Smtp = LoadSmtp(reader, errors),
            FromAddress = fromAddress,
            MaxAttempts = reader.Int("Email:Outbox:MaxAttempts", 8, 1, 50),
            RetryBaseDelay = reader.Seconds("Email:Outbox:RetryBaseDelaySeconds", 30, 1, Hour),
            PollInterval = reader.Seconds("Email:Outbox:PollIntervalSeconds", 5, 1, 5 * Minute),
            KeepSentBodies = reader.Bool("Email:Outbox:KeepSentBodies", dev),
        };
    }

    private static SmtpSettings? LoadSmtp(Reader reader, List<string> errors)
    {
        // Every key is read (and checked) even without a host, so a typo in the host key is reported
        // rather than silently falling back to the logging sender.
        var host = reader.String("Email:Smtp:Host", null);
        var port = reader.Int("Email:Smtp:Port", 587, 1, 65535);
        var security = reader.Enum("Email:Smtp:Security", SmtpSecurity.Auto);
        var username = reader.String("Email:Smtp:Username", null);
        var password = reader.String("Email:Smtp:Password", null);
        var timeout = reader.Seconds("Email:Smtp:TimeoutSeconds", 30, 1, 5 * Minute);

        if (host is not null && Uri.CheckHostName(host) is UriHostNameType.Unknown or UriHostNameType.Basic)
        {
            errors.Add($"{Section}:Email:Smtp:Host = '{host}' is not valid: use a host name or IP address, without scheme or port (the port is Lanyard:Email:Smtp:Port).");
        }

        // The password is a secret: name the key, never echo the value.
        if (username is not null && password is null)
        {
            errors.Add($"{Section}:Email:Smtp:Password is required when {Section}:Email:Smtp:Username is set.");
        }
        else if (username is null && password is not null)
        {
            errors.Add($"{Section}:Email:Smtp:Username is required when {Section}:Email:Smtp:Password is set.");
        }

        if (host is null)
        {
            var orphans = SmtpKeysBesidesHost
                .Where(key => reader.String("Email:Smtp:" + key, null) is not null)
                .Select(key => $"{Section}:Email:Smtp:{key}")
                .ToList();
            if (orphans.Count > 0)
            {
                errors.Add($"{Section}:Email:Smtp:Host is required when {string.Join(", ", orphans)} {(orphans.Count == 1 ? "is" : "are")} set (without a host, emails are only logged).");
            }

            return null;
        }

        return new SmtpSettings
        {
            Host = host,
            Port = port,
            Security = security,
            Username = username,
            Password = password,
            Timeout = timeout,
        };
    }

    private static bool IsPlainEmailAddress(string value) =>
        MailAddress.TryCreate(value, out var address)
        && string.IsNullOrEmpty(address.DisplayName)
        && string.Equals(address.Address, value, StringComparison.Ordinal)
        && address.Host.Length > 0;
}
