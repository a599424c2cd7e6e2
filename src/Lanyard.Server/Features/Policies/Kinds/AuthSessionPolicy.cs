using Lanyard.Server.Common;
using Lanyard.Server.Hosting;

namespace Lanyard.Server.Features.Policies;

/// <summary>
/// How long a hosted-login session (the <c>__Host-lanyard_session</c> cookie) lasts (policy kind
/// <c>AuthSession</c>): ended after <see cref="IdleExpirationMinutes"/> without use, and after
/// <see cref="AbsoluteExpirationMinutes"/> from the login whatever the use. Null: the server's settings
/// (<c>Sessions:IdleTimeoutSeconds</c>, <c>Sessions:AbsoluteTimeoutSeconds</c>) are the built-in defaults.
/// </summary>
internal sealed class AuthSessionPolicy
{
    public const int MinMinutes = 5;
    public const int MaxIdleMinutes = 90 * 24 * 60;
    public const int MaxAbsoluteMinutes = 365 * 24 * 60;

    public int? IdleExpirationMinutes { get; set; }
    public int? AbsoluteExpirationMinutes { get; set; }

    public TimeSpan IdleTimeout(ProtocolSettings defaults) =>
        IdleExpirationMinutes is { } minutes ? TimeSpan.FromMinutes(Math.Clamp(minutes, MinMinutes, MaxIdleMinutes)) : defaults.SessionIdleTimeout;

    public TimeSpan AbsoluteTimeout(ProtocolSettings defaults) =>
        AbsoluteExpirationMinutes is { } minutes ? TimeSpan.FromMinutes(Math.Clamp(minutes, MinMinutes, MaxAbsoluteMinutes)) : defaults.SessionAbsoluteTimeout;
}

/// <summary>The auth session policy API (<c>/auth-session-policies</c>).</summary>
internal sealed class AuthSessionPolicyApi : PolicyKindApi<AuthSessionPolicy>
{
    public override PolicyKind Kind => PolicyKind.AuthSession;
    public override string Collection => "auth-session-policies";
    public override string Resource => "auth-session-policy";
    public override string Noun => "auth session policy";

    public override void Apply(PolicyFields fields, AuthSessionPolicy settings)
    {
        fields.Int("idleExpirationMinutes", AuthSessionPolicy.MinMinutes, AuthSessionPolicy.MaxIdleMinutes, v => settings.IdleExpirationMinutes = v, nullable: true);
        fields.Int("absoluteExpirationMinutes", AuthSessionPolicy.MinMinutes, AuthSessionPolicy.MaxAbsoluteMinutes, v => settings.AbsoluteExpirationMinutes = v, nullable: true);
    }

    /// <summary>An idle limit set past the absolute one set beside it would never apply: refused, so the policy says what it does.</summary>
    public override Task<IResult?> CheckAsync(AuthSessionPolicy settings, PolicyFields fields, HttpContext http, CancellationToken cancellationToken)
    {
        if (settings is { IdleExpirationMinutes: { } idle, AbsoluteExpirationMinutes: { } absolute } && idle > absolute)
        {
            fields.Violations.Add("idleExpirationMinutes", ViolationCodes.InvalidValue,
                new Dictionary<string, object> { ["reason"] = "idle_exceeds_absolute", ["max"] = absolute });
        }

        return Task.FromResult<IResult?>(null);
    }
}
