using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Lanyard.Server.Features.Email;
using Lanyard.Server.Hosting;
using Lanyard.Server.Tests.Hosting;
using Lanyard.Testing;
using MailKit.Security;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lanyard.Server.Tests.Features.Email;

/// <summary>
/// <see cref="SmtpEmailSender"/> against a real SMTP server process on loopback (tests/mailbox), with its
/// settings read by the real loader; and the loader's checks of every <c>Lanyard:Email:*</c> key.
/// </summary>
public sealed class SmtpDeliveryTests
{
    private const string To = "ada@example.com";

    [Fact]
    public async Task Text_and_html_email_arrives_with_sender_subject_bodies_type_and_message_id()
    {
        await using var mailbox = await SmtpMailbox.StartAsync();
        var sender = Sender(SettingsKit.Load(SmtpAt(mailbox.SmtpPort)));

        await sender.SendAsync(new EmailMessage(
            To,
            "Verify your email for Acme",
            "Hello Ada,\nverify here: https://acme-auth.localhost/verify?token=abc123.\n",
            HtmlBody: "<p>Hello Ada, <a href=\"https://acme-auth.localhost/verify?token=abc123\">verify</a></p>",
            Type: "email-verification",
            FromName: "Acme",
            MessageId: "outbox-42"), TestContext.Current.CancellationToken);

        var mail = await mailbox.WaitForMessageAsync(To);
        Assert.Equal([To], mail.To);
        Assert.Equal("no-reply@auth.localhost", mail.From); // the default: the vanity host, without its port
        Assert.Equal("no-reply@auth.localhost", mail.EnvelopeFrom);
        Assert.Equal("Acme", mail.FromName);
        Assert.Equal("Verify your email for Acme", mail.Subject);
        Assert.Contains("verify here: https://acme-auth.localhost/verify?token=abc123", mail.Text, StringComparison.Ordinal);
        Assert.Contains("<a href=\"https://acme-auth.localhost/verify?token=abc123\">verify</a>", mail.Html, StringComparison.Ordinal);
        Assert.Equal("https://acme-auth.localhost/verify?token=abc123", SmtpMailbox.FirstLink(mail.Text!, "https://acme-auth.localhost/"));
        Assert.Equal("email-verification", mail.EmailType);
        Assert.Equal("<outbox-42@auth.localhost>", mail.MessageId);
        Assert.StartsWith("multipart/alternative", mail.Header("Content-Type"), StringComparison.Ordinal);
        Assert.Null(mail.AuthUser);
    }

    [Fact]
    public async Task Text_only_email_has_no_html_part_and_the_configured_from_address()
    {
        await using var mailbox = await SmtpMailbox.StartAsync();
        var settings = SmtpAt(mailbox.SmtpPort);
        settings["Lanyard:Email:FromAddress"] = "accounts@mail.example.com";
        var sender = Sender(SettingsKit.Load(settings));

        await sender.SendAsync(new EmailMessage(To, "Plain", "Just text."), TestContext.Current.CancellationToken);

        var mail = await mailbox.WaitForMessageAsync(To);
        Assert.Equal("accounts@mail.example.com", mail.From);
        Assert.Null(mail.Html);
        Assert.Equal("Just text.", mail.Text?.Trim());
        Assert.StartsWith("text/plain", mail.Header("content-type"), StringComparison.Ordinal);
        Assert.Null(mail.EmailType);
        Assert.EndsWith("@mail.example.com>", mail.MessageId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Username_and_password_authenticate_and_wrong_ones_throw()
    {
        await using var mailbox = await SmtpMailbox.StartAsync("lanyard", "s3cret-pass");
        var settings = SmtpAt(mailbox.SmtpPort);
        settings["Lanyard:Email:Smtp:Username"] = "lanyard";
        settings["Lanyard:Email:Smtp:Password"] = "s3cret-pass";
        var ct = TestContext.Current.CancellationToken;

        await Sender(SettingsKit.Load(settings)).SendAsync(new EmailMessage(To, "Authenticated", "Hi.", Type: "test"), ct);
        var mail = await mailbox.WaitForMessageAsync(To);
        Assert.Equal("lanyard", mail.AuthUser);

        settings["Lanyard:Email:Smtp:Password"] = "wrong-pass";
        await Assert.ThrowsAsync<AuthenticationException>(() => Sender(SettingsKit.Load(settings)).SendAsync(new EmailMessage(To, "Refused", "Hi."), ct));
        await mailbox.ClearAsync();
        Assert.Empty(await mailbox.MessagesAsync(ct));
    }

    [Fact]
    public async Task Closed_port_throws()
    {
        var sender = Sender(SettingsKit.Load(SmtpAt(ServerProcess.FreePort(), timeoutSeconds: 2)));

        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<Exception>(() => sender.SendAsync(new EmailMessage(To, "Nowhere", "Hi."), TestContext.Current.CancellationToken));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Server_that_never_answers_throws_after_the_timeout()
    {
        // Accepts connections but never sends the SMTP greeting.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var sender = Sender(SettingsKit.Load(SmtpAt(port, timeoutSeconds: 1)));

        var clock = Stopwatch.StartNew();
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => sender.SendAsync(new EmailMessage(To, "Silence", "Hi."), TestContext.Current.CancellationToken));
        Assert.False(failure is OperationCanceledException, $"a timeout is a failure, not a cancellation: {failure}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public void Defaults_without_a_host_leave_smtp_off()
    {
        var development = SettingsKit.Load([]).Email;
        Assert.Null(development.Smtp);
        Assert.Equal("no-reply@auth.localhost", development.FromAddress);
        Assert.Equal(8, development.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(30), development.RetryBaseDelay);
        Assert.Equal(TimeSpan.FromSeconds(5), development.PollInterval);
        Assert.True(development.KeepSentBodies);

        var production = SettingsKit.Load(new() { ["Lanyard:Secrets:MasterKey"] = Convert.ToBase64String(new byte[32]) }, "Production").Email;
        Assert.Null(production.Smtp);
        Assert.False(production.KeepSentBodies);

        var smtp = SettingsKit.Load(new() { ["Lanyard:Email:Smtp:Host"] = "smtp.example.com" }).Email.Smtp!;
        Assert.Equal(587, smtp.Port);
        Assert.Equal(SmtpSecurity.Auto, smtp.Security);
        Assert.Null(smtp.Username);
        Assert.Equal(TimeSpan.FromSeconds(30), smtp.Timeout);
    }

    [Theory]
    [InlineData("Lanyard:Email:Smtp:Port", "0", "Lanyard:Email:Smtp:Port = '0' is not valid")]
    [InlineData("Lanyard:Email:Smtp:Port", "65536", "Lanyard:Email:Smtp:Port = '65536' is not valid")]
    [InlineData("Lanyard:Email:Smtp:Security", "Bogus", "Lanyard:Email:Smtp:Security = 'Bogus' is not valid")]
    [InlineData("Lanyard:Email:Smtp:TimeoutSeconds", "0", "Lanyard:Email:Smtp:TimeoutSeconds = '0' is not valid")]
    [InlineData("Lanyard:Email:Smtp:Host", "smtp://mail.example.com", "Lanyard:Email:Smtp:Host = 'smtp://mail.example.com' is not valid")]
    [InlineData("Lanyard:Email:Smtp:Username", "lanyard", "Lanyard:Email:Smtp:Password is required when Lanyard:Email:Smtp:Username is set")]
    [InlineData("Lanyard:Email:FromAddress", "Acme <no-reply@example.com>", "Lanyard:Email:FromAddress = 'Acme <no-reply@example.com>' is not valid")]
    [InlineData("Lanyard:Email:FromAddress", "no-reply", "Lanyard:Email:FromAddress = 'no-reply' is not valid")]
    [InlineData("Lanyard:Email:Outbox:MaxAttempts", "51", "Lanyard:Email:Outbox:MaxAttempts = '51' is not valid")]
    [InlineData("Lanyard:Email:Outbox:RetryBaseDelaySeconds", "3601", "Lanyard:Email:Outbox:RetryBaseDelaySeconds = '3601' is not valid")]
    [InlineData("Lanyard:Email:Outbox:PollIntervalSeconds", "0", "Lanyard:Email:Outbox:PollIntervalSeconds = '0' is not valid")]
    [InlineData("Lanyard:Email:Outbox:KeepSentBodies", "maybe", "Lanyard:Email:Outbox:KeepSentBodies = 'maybe' is not valid")]
    public void Invalid_email_setting_is_reported_with_its_key_and_value(string key, string value, string expected)
    {
        var settings = new Dictionary<string, string?> { ["Lanyard:Email:Smtp:Host"] = "smtp.example.com", [key] = value };

        var failure = Assert.Throws<InvalidSettingsException>(() => SettingsKit.Load(settings));

        Assert.Contains(failure.Errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Password_without_username_is_reported_without_echoing_the_password()
    {
        var failure = Assert.Throws<InvalidSettingsException>(() => SettingsKit.Load(new()
        {
            ["Lanyard:Email:Smtp:Host"] = "smtp.example.com",
            ["Lanyard:Email:Smtp:Password"] = "hunter2-do-not-print",
        }));

        Assert.Contains("Lanyard:Email:Smtp:Username is required when Lanyard:Email:Smtp:Password is set", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Smtp_settings_without_a_host_are_reported()
    {
        var failure = Assert.Throws<InvalidSettingsException>(() => SettingsKit.Load(new()
        {
            ["Lanyard:Email:Smtp:Port"] = "2525",
            ["Lanyard:Email:Smtp:Username"] = "lanyard",
            ["Lanyard:Email:Smtp:Password"] = "secret",
        }));

        Assert.Contains("Lanyard:Email:Smtp:Host is required when Lanyard:Email:Smtp:Port, Lanyard:Email:Smtp:Username, Lanyard:Email:Smtp:Password are set", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", failure.Message, StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> SmtpAt(int port, int timeoutSeconds = 10) => new()
    {
        ["Lanyard:Email:Smtp:Host"] = "127.0.0.1",
        ["Lanyard:Email:Smtp:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Lanyard:Email:Smtp:Security"] = "None",
        ["Lanyard:Email:Smtp:TimeoutSeconds"] = timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static SmtpEmailSender Sender(ServerSettings settings) => new(settings, NullLogger<SmtpEmailSender>.Instance);
}
