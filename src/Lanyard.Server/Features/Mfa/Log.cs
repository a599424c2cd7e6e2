namespace Lanyard.Server.Features.Mfa;

/// <summary>Log events of MFA (EventIds 7300–7399). Ids only: never seeds, codes, recovery codes or addresses.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 7301, Level = LogLevel.Information, Message = "TOTP enrollment started in tenant {TenantId} for user {UserId} (factor {FactorId})")]
    public static partial void EnrollmentStarted(ILogger logger, string tenantId, string userId, string factorId);

    [LoggerMessage(EventId = 7302, Level = LogLevel.Information, Message = "TOTP enrollment verified in tenant {TenantId} for user {UserId} (factor {FactorId})")]
    public static partial void EnrollmentVerified(ILogger logger, string tenantId, string userId, string factorId);

    [LoggerMessage(EventId = 7303, Level = LogLevel.Information, Message = "TOTP enrollment code refused in tenant {TenantId} for user {UserId}")]
    public static partial void EnrollmentCodeRefused(ILogger logger, string tenantId, string userId);

    [LoggerMessage(EventId = 7304, Level = LogLevel.Information, Message = "Recovery code issued in tenant {TenantId} for user {UserId}")]
    public static partial void RecoveryCodeIssued(ILogger logger, string tenantId, string userId);

    [LoggerMessage(EventId = 7305, Level = LogLevel.Information, Message = "MFA challenge passed in tenant {TenantId} by user {UserId} with {FactorType}")]
    public static partial void ChallengeVerified(ILogger logger, string tenantId, string userId, string factorType);

    [LoggerMessage(EventId = 7306, Level = LogLevel.Warning, Message = "MFA challenge refused in tenant {TenantId} for user {UserId}")]
    public static partial void ChallengeRefused(ILogger logger, string tenantId, string userId);

    [LoggerMessage(EventId = 7307, Level = LogLevel.Warning, Message = "MFA challenge locked in tenant {TenantId} for user {UserId}: too many attempts")]
    public static partial void ChallengeLocked(ILogger logger, string tenantId, string userId);

    [LoggerMessage(EventId = 7308, Level = LogLevel.Warning, Message = "TOTP code replayed in tenant {TenantId} for user {UserId}: its step was already used")]
    public static partial void TotpReplayed(ILogger logger, string tenantId, string userId);

    [LoggerMessage(EventId = 7309, Level = LogLevel.Information, Message = "MFA factors removed in tenant {TenantId} for user {UserId}; sessions and grants revoked")]
    public static partial void FactorsRemoved(ILogger logger, string tenantId, string userId);

    [LoggerMessage(EventId = 7310, Level = LogLevel.Warning, Message = "MFA factor removal refused in tenant {TenantId} for user {UserId}: wrong current password ({Reason})")]
    public static partial void RemovalRefused(ILogger logger, string tenantId, string userId, string reason);
}
