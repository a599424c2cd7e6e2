using System.Net.Mail;
using Lanyard.Server.Common;
using Lanyard.Server.Features.IdentityProviders;
using Lanyard.Server.Features.PasswordReset;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Workflows;
using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Users;

/// <param name="PasswordHash">
/// The hash of <paramref name="Password"/>, when the caller made it before opening a transaction (on SQLite a
/// transaction holds the only writer, and a hash takes a core for about 150 ms); otherwise it is made here.
/// </param>
internal sealed record CreateUserRequest(
    string? Email,
    string? Password = null,
    string? Username = null,
    string? GivenName = null,
    string? FamilyName = null,
    string? FullName = null,
    bool EmailVerified = false,
    UserStatus Status = UserStatus.Provisioned,
    string? PasswordHash = null);

internal abstract record CreateUserResult
{
    private CreateUserResult() { }

    public sealed record Created(User User) : CreateUserResult;

    public sealed record Invalid(ConstraintViolations Violations) : CreateUserResult;
}

/// <summary>
/// Creates a user of the built-in identity provider in the tenant of the current scope. The tenant is
/// never a parameter: it comes from the scope, and the save interceptor stamps it.
/// </summary>
internal sealed class CreateUser(LanyardDbContext db, PasswordHasher hasher, PolicyResolver policies, TimeProvider time, ILogger<CreateUser> logger)
{
    public Task<CreateUserResult> ExecuteAsync(CreateUserRequest request, CancellationToken cancellationToken) =>
        ExecuteAsync(request, complete: null, cancellationToken);

    /// <summary>
    /// Creates the user; <paramref name="complete"/> sets further fields (already validated by the caller) on the
    /// new user before it is inserted, so the row is written once, at version 1.
    /// </summary>
    public async Task<CreateUserResult> ExecuteAsync(CreateUserRequest request, Action<User>? complete, CancellationToken cancellationToken)
    {
        var violations = Validate(request);
        if (request.Password is { } password)
        {
            // The password policy in force for the tenant of the scope, as everywhere a password is set.
            PasswordRules.AddViolations(violations, "password", await policies.PasswordAsync(cancellationToken), password);
        }

        if (!violations.IsEmpty)
        {
            return new CreateUserResult.Invalid(violations);
        }

        var email = request.Email!.Trim();
        var username = string.IsNullOrWhiteSpace(request.Username) ? null : request.Username.Trim();
        var idp = await db.IdentityProviders.AsNoTracking()
            .Where(p => p.Type == IdentityProviderType.Wristband && p.TenantId == null)
            .FirstOrDefaultAsync(cancellationToken)
            ?? throw new InvalidOperationException("The application has no built-in identity provider.");

        var normalizedEmail = Normalize.Key(email!);
        var normalizedUsername = Normalize.KeyOrNull(username);
        var duplicate = await db.Users.AsNoTracking()
            .Where(u => u.IdentityProviderId == idp.Id
                        && (u.NormalizedEmail == normalizedEmail || (normalizedUsername != null && u.NormalizedUsername == normalizedUsername)))
            .Select(u => new { u.NormalizedEmail, u.NormalizedUsername })
            .FirstOrDefaultAsync(cancellationToken);
        if (duplicate is not null)
        {
            return new CreateUserResult.Invalid(ConstraintViolations.Single(
                duplicate.NormalizedEmail == normalizedEmail ? "email" : "username", ViolationCodes.NotUnique));
        }

        var user = new User
        {
            Id = LanyardId.New(time),
            IdentityProviderId = idp.Id,
            IdentityProviderName = idp.Name,
            Email = email!,
            NormalizedEmail = normalizedEmail,
            EmailVerified = request.EmailVerified,
            Username = username,
            NormalizedUsername = normalizedUsername,
            GivenName = request.GivenName,
            FamilyName = request.FamilyName,
            FullName = request.FullName,
            PasswordHash = request.Password is null ? null : request.PasswordHash ?? await hasher.HashAsync(request.Password, cancellationToken),
            Status = request.Status,
            ActivatedAt = request.Status == UserStatus.Active ? time.GetUtcNow() : null,
        };
        complete?.Invoke(user);
        db.Users.Add(user);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (UniqueViolation.Is(e))
        {
            db.Entry(user).State = EntityState.Detached;
            return new CreateUserResult.Invalid(ConstraintViolations.Single("email", ViolationCodes.NotUnique));
        }

        Log.UserCreated(logger, user.Id, user.TenantId);
        return new CreateUserResult.Created(user);
    }

    /// <summary>
    /// The rules of the create request's own fields (uniqueness and the password policy aside, which need the
    /// database), for callers that gather every violation first.
    /// </summary>
    public static ConstraintViolations Validate(CreateUserRequest request)
    {
        var violations = new ConstraintViolations();
        var email = request.Email?.Trim();
        if (string.IsNullOrEmpty(email))
        {
            violations.Add("email", ViolationCodes.Required);
        }
        else if (email.Length > 200)
        {
            violations.Add("email", ViolationCodes.TooLong, new Dictionary<string, object> { ["maxLength"] = 200 });
        }
        else if (!IsEmail(email))
        {
            violations.Add("email", ViolationCodes.InvalidFormat);
        }

        var username = string.IsNullOrWhiteSpace(request.Username) ? null : request.Username.Trim();
        if (username is { Length: > 200 })
        {
            violations.Add("username", ViolationCodes.TooLong, new Dictionary<string, object> { ["maxLength"] = 200 });
        }

        return violations;
    }

    /// <summary>The email rule of every way a user is created (also the import).</summary>
    internal static bool IsEmail(string value) =>
        MailAddress.TryCreate(value, out var address) && address.Address == value && value.Contains('.', StringComparison.Ordinal);
}

internal static partial class Log
{
    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "User {UserId} created in tenant {TenantId}")]
    public static partial void UserCreated(ILogger logger, string userId, string tenantId);
}
