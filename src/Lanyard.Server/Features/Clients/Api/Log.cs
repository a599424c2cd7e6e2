namespace Lanyard.Server.Features.Clients.Api;

/// <summary>Log events of the OAuth2 client management API (EventIds 7900–7949). Ids only: never a secret or its hash.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 7901, Level = LogLevel.Information, Message = "Client {ClientId} ({Type}) created by {CallerKind} {CallerId}")]
    public static partial void ClientCreated(ILogger logger, string clientId, string type, string callerKind, string callerId);

    [LoggerMessage(EventId = 7902, Level = LogLevel.Information, Message = "Client {ClientId} updated by {CallerKind} {CallerId}")]
    public static partial void ClientUpdated(ILogger logger, string clientId, string callerKind, string callerId);

    [LoggerMessage(EventId = 7903, Level = LogLevel.Information, Message = "Client {ClientId} deleted by {CallerKind} {CallerId}; {Grants} grants revoked")]
    public static partial void ClientDeleted(ILogger logger, string clientId, string callerKind, string callerId, int grants);

    [LoggerMessage(EventId = 7904, Level = LogLevel.Information, Message = "Secret of client {ClientId} rotated by {CallerKind} {CallerId}; the previous one works until {PreviousExpiresAt}")]
    public static partial void SecretRotated(ILogger logger, string clientId, string callerKind, string callerId, DateTimeOffset? previousExpiresAt);

    [LoggerMessage(EventId = 7905, Level = LogLevel.Warning, Message = "Deleting client {ClientId} refused: {Reason}")]
    public static partial void DeleteRefused(ILogger logger, string clientId, string reason);

    [LoggerMessage(EventId = 7906, Level = LogLevel.Debug, Message = "Clients of application {ApplicationId} listed by {CallerId}: {Returned} of {Total}")]
    public static partial void ClientsListed(ILogger logger, string applicationId, string callerId, int returned, long total);
}
