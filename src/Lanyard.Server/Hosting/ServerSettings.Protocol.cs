namespace Lanyard.Server.Hosting;

/// <summary>Lifetimes and limits of the protocol: tokens, codes, sessions and login throttling.</summary>
internal sealed record ProtocolSettings
{
    public required TimeSpan AccessTokenLifetime { get; init; }
    public required TimeSpan IdTokenLifetime { get; init; }
    public required TimeSpan AuthorizationCodeLifetime { get; init; }
    public required TimeSpan RefreshTokenIdleLifetime { get; init; }
    public required TimeSpan RefreshTokenAbsoluteLifetime { get; init; }

    /// <summary>How long a just-rotated refresh token is answered with invalid_grant without revoking its family (a lost response, a parallel refresh).</summary>
    public required TimeSpan RefreshTokenReuseLeeway { get; init; }

    public required TimeSpan SessionIdleTimeout { get; init; }
    public required TimeSpan SessionAbsoluteTimeout { get; init; }

    public required int AccountAttemptLimit { get; init; }
    public required TimeSpan AccountAttemptWindow { get; init; }
    public required int AddressAttemptLimit { get; init; }
    public required TimeSpan AddressAttemptWindow { get; init; }

    /// <summary>How long a client's previous secret keeps working after <c>rotate-secret</c> (0: it stops at once).</summary>
    public TimeSpan ClientSecretGracePeriod { get; init; } = TimeSpan.FromDays(1);

    /// <summary>
    /// How long this node keeps applications and OAuth clients it has read (0: not at all). A change made through
    /// another node shows here within this time; one made through this node shows at once (ADR 0009).
    /// </summary>
    public TimeSpan HotRowCacheLifetime { get; init; } = TimeSpan.FromSeconds(5);

    public required TimeSpan SigningKeyRotationPeriod { get; init; }
    public required TimeSpan SigningKeyPrepublication { get; init; }

    /// <summary>How long a retired signing key stays published: the longest lifetime of a token it signed, plus clock skew.</summary>
    public TimeSpan SigningKeyRetention => (AccessTokenLifetime > IdTokenLifetime ? AccessTokenLifetime : IdTokenLifetime) + TimeSpan.FromMinutes(5);
}

internal sealed partial record ServerSettings
{
    private const int Minute = 60;
    private const int Hour = 60 * Minute;
    private const int Day = 24 * Hour;

    private static ProtocolSettings LoadProtocol(Reader reader) => new()
    {
        AccessTokenLifetime = reader.Seconds("Tokens:AccessTokenLifetimeSeconds", 30 * Minute, Minute, Day),
        IdTokenLifetime = reader.Seconds("Tokens:IdTokenLifetimeSeconds", 30 * Minute, Minute, Day),
        AuthorizationCodeLifetime = reader.Seconds("Tokens:AuthorizationCodeLifetimeSeconds", Minute, 10, 10 * Minute),
        RefreshTokenIdleLifetime = reader.Seconds("Tokens:RefreshTokenIdleLifetimeSeconds", 30 * Day, Hour, 365 * Day),
        RefreshTokenAbsoluteLifetime = reader.Seconds("Tokens:RefreshTokenAbsoluteLifetimeSeconds", 90 * Day, Hour, 3 * 365 * Day),
        RefreshTokenReuseLeeway = reader.Seconds("Tokens:RefreshTokenReuseLeewaySeconds", 10, 0, Minute),
        SessionIdleTimeout = reader.Seconds("Sessions:IdleTimeoutSeconds", Day, 5 * Minute, 90 * Day),
        SessionAbsoluteTimeout = reader.Seconds("Sessions:AbsoluteTimeoutSeconds", 7 * Day, 5 * Minute, 365 * Day),
        AccountAttemptLimit = reader.Int("Throttling:AccountAttempts", 10, 3, 100),
        AccountAttemptWindow = reader.Seconds("Throttling:AccountWindowSeconds", 15 * Minute, Minute, Day),
        AddressAttemptLimit = reader.Int("Throttling:AddressAttempts", 100, 10, 100_000),
        AddressAttemptWindow = reader.Seconds("Throttling:AddressWindowSeconds", 5 * Minute, 10, Day),
        SigningKeyRotationPeriod = reader.Seconds("SigningKeys:RotationPeriodSeconds", 90 * Day, Day, 3 * 365 * Day),
        SigningKeyPrepublication = reader.Seconds("SigningKeys:PrepublicationSeconds", Day, 0, 30 * Day),
        ClientSecretGracePeriod = reader.Seconds("Clients:SecretRotationGraceSeconds", Day, 0, 30 * Day),
        HotRowCacheLifetime = reader.Seconds("Caching:HotRowLifetimeSeconds", 5, 0, 5 * Minute),
    };
}
