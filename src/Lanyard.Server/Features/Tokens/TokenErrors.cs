namespace Lanyard.Server.Features.Tokens;

/// <summary>An RFC 6749 §5.2 error of the token or revocation endpoint.</summary>
internal sealed record TokenError(string Error, string Description, int Status = StatusCodes.Status400BadRequest)
{
    public static TokenError InvalidRequest(string description) => new("invalid_request", description);

    public static TokenError InvalidGrant(string description) => new("invalid_grant", description);

    public static TokenError InvalidClient(string description = "Client authentication failed.") =>
        new("invalid_client", description, StatusCodes.Status401Unauthorized);

    public static TokenError UnauthorizedClient(string description) => new("unauthorized_client", description);

    public static TokenError UnsupportedGrantType(string description) => new("unsupported_grant_type", description);

    public static TokenError InvalidScope(string description) => new("invalid_scope", description);

    public static TokenError TooManyAttempts() =>
        new("invalid_client", "Too many failed client authentications; try again later.", StatusCodes.Status429TooManyRequests);
}

/// <summary>What a grant handler answers: tokens, or an RFC 6749 error.</summary>
internal abstract record TokenOutcome
{
    private TokenOutcome() { }

    public sealed record Issued(IssuedTokens Tokens) : TokenOutcome;

    public sealed record Refused(TokenError Error) : TokenOutcome;

    public static implicit operator TokenOutcome(IssuedTokens tokens) => new Issued(tokens);

    public static implicit operator TokenOutcome(TokenError error) => new Refused(error);
}
