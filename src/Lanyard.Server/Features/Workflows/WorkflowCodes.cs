using System.Text.Json;
using Lanyard.Server.Common;
using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Workflows;

/// <summary>What a workflow carries across an email or a redirect; never shown to the browser.</summary>
/// <param name="ClientId">The OAuth2 client the flow started from: its login URL is where the user lands.</param>
/// <param name="State">The caller's opaque value, returned unchanged at the end of the flow.</param>
/// <param name="Workflow">The workflow that issued an auth-session code, for the final redirect's precedence.</param>
/// <param name="InvitationId">The invitation an invitation code belongs to.</param>
/// <param name="Amr">For an auth-session code: how the user proved who they are (<c>pwd</c>, or <c>email</c> for an emailed link).</param>
/// <param name="SessionId">For MFA codes: the auth session that is waiting for its second factor; only that session may be upgraded.</param>
/// <param name="ReturnUrl">For MFA codes: the authorize request (a local URL of the tenant host) to continue with once MFA is passed.</param>
internal sealed record WorkflowContext(
    string? ClientId = null,
    string? State = null,
    string? Workflow = null,
    string? InvitationId = null,
    IReadOnlyList<string>? Amr = null,
    string? SessionId = null,
    string? ReturnUrl = null);

/// <summary>
/// Issues and consumes <see cref="WorkflowCode"/>s. Issuing a code supersedes the user's earlier codes of
/// the same purpose (only the newest email works). Consuming is one conditional update: of two requests
/// racing with the same code, exactly one wins.
/// </summary>
internal sealed class WorkflowCodes(LanyardDbContext db, TimeProvider time)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Adds a new code to the unit of work (saved with the caller's changes) and returns the only copy of its plain value.</summary>
    public async Task<string> IssueAsync(
        string tenantId, string userId, WorkflowPurpose purpose, TimeSpan lifetime, WorkflowContext? context, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        // Emailed codes supersede each other; handoff and MFA codes belong to one browser each, so a second browser must not end the first's.
        if (purpose is not (WorkflowPurpose.AuthSession or WorkflowPurpose.MfaToken))
        {
            await db.Set<WorkflowCode>()
                .Where(c => c.TenantId == tenantId && c.UserId == userId && c.Purpose == purpose && c.ConsumedAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(c => c.ConsumedAt, now), cancellationToken);
        }

        var code = OpaqueToken.New();
        db.Add(new WorkflowCode
        {
            Id = LanyardId.New(time),
            TenantId = tenantId,
            UserId = userId,
            Purpose = purpose,
            CodeHash = OpaqueToken.Hash(code),
            Context = context is null ? null : JsonSerializer.Serialize(context, Json),
            CreatedAt = now,
            ExpiresAt = now + lifetime,
        });
        return code;
    }

    /// <summary>Uses up a code: the row if the code was live and of this purpose (now consumed), else null. Says nothing about why.</summary>
    public async Task<WorkflowCode?> ConsumeAsync(string? code, WorkflowPurpose purpose, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(code) || code.Length > 100)
        {
            return null;
        }

        var hash = OpaqueToken.Hash(code);
        var now = time.GetUtcNow();
        var consumed = await db.Set<WorkflowCode>()
            .Where(c => c.CodeHash == hash && c.Purpose == purpose && c.ConsumedAt == null && c.ExpiresAt > now)
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.ConsumedAt, now), cancellationToken);
        return consumed == 1 ? await db.Set<WorkflowCode>().AsNoTracking().FirstAsync(c => c.CodeHash == hash, cancellationToken) : null;
    }

    /// <summary>Looks at a code without using it (to render a page before the user submits it).</summary>
    public Task<WorkflowCode?> PeekAsync(string? code, WorkflowPurpose purpose, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(code) || code.Length > 100)
        {
            return Task.FromResult<WorkflowCode?>(null);
        }

        var hash = OpaqueToken.Hash(code);
        var now = time.GetUtcNow();
        return db.Set<WorkflowCode>().AsNoTracking()
            .FirstOrDefaultAsync(c => c.CodeHash == hash && c.Purpose == purpose && c.ConsumedAt == null && c.ExpiresAt > now, cancellationToken);
    }

    /// <summary>Ends every live code of a user for one purpose (e.g. after a password reset, the other reset emails stop working).</summary>
    public Task RevokeAsync(string tenantId, string userId, WorkflowPurpose purpose, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return db.Set<WorkflowCode>()
            .Where(c => c.TenantId == tenantId && c.UserId == userId && c.Purpose == purpose && c.ConsumedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.ConsumedAt, now), cancellationToken);
    }

    public static WorkflowContext ReadContext(WorkflowCode code) =>
        code.Context is null ? new WorkflowContext() : JsonSerializer.Deserialize<WorkflowContext>(code.Context, Json) ?? new WorkflowContext();
}
