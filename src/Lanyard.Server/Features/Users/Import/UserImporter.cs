using System.Runtime.CompilerServices;
using Lanyard.Server.Common;
using Lanyard.Server.Features.IdentityProviders;
using Lanyard.Server.Features.Roles;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Users.Import;

/// <summary>
/// The one import service, behind both the API and the command line: an idempotent upsert of users of the
/// built-in identity provider into the tenant of the current scope, keyed by (tenant, identity provider,
/// email), committed in batches of <see cref="BatchSize"/> rows per transaction.
/// <list type="bullet">
/// <item>A new email creates a user (status <c>ACTIVE</c> unless the row says otherwise).</item>
/// <item>A known email updates the fields the row gives; an empty cell never clears a value, roles are only
/// added, and a password hash is only set on a user who has no password yet, so a re-import never undoes a
/// password the user changed since. A row that would change nothing is <c>unchanged</c> and not written.</item>
/// <item>A row that breaks a rule fails alone; a row's user and its roles are written together or not at all.</item>
/// </list>
/// </summary>
internal sealed class UserImporter(LanyardDbContext db, TenantContext scope, TimeProvider time, ILogger<UserImporter> logger)
{
    public const int BatchSize = 500;

    /// <summary>Code of a row whose user another writer changed while the import wrote it; importing it again settles it.</summary>
    public const string ConcurrentChange = "concurrent_change";

    /// <summary>Imports the rows; yields the results of each batch, in row order, once the batch has committed.</summary>
    public async IAsyncEnumerable<IReadOnlyList<ImportRowResult>> ImportAsync(IAsyncEnumerable<ImportRow> rows, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (scope.TenantId is null)
        {
            throw new InvalidOperationException("An import runs in a tenant's scope.");
        }

        var context = await LoadContextAsync(cancellationToken);
        var batch = new ImportBatch();
        var enumerator = rows.GetAsyncEnumerator(cancellationToken);

        // Every entity is complete when it is added (or marked updated) and never touched after, so the
        // change tracker need not scan for changes: the scan on each save and in each interceptor's pass
        // over the entries was most of an import's time.
        var detecting = db.ChangeTracker.AutoDetectChangesEnabled;
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        try
        {
            while (true)
            {
                ImportInputException? unreadable = null;
                try
                {
                    if (!await enumerator.MoveNextAsync())
                    {
                        break;
                    }
                }
                catch (ImportInputException e)
                {
                    unreadable = e;
                }

                if (unreadable is not null)
                {
                    // The rows read so far are whole: commit and report them before the reader's reason surfaces.
                    if (await FlushAsync(batch, context, cancellationToken) is { Count: > 0 } results)
                    {
                        yield return results;
                    }

                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(unreadable);
                }

                var row = enumerator.Current;
                var (candidate, violations) = ImportRules.Validate(row, context);
                if (candidate is not null && batch.Collides(candidate))
                {
                    // The same user (or username, external id) twice in one batch: the earlier row commits first,
                    // so the later one sees it, as if the rows were imported one by one.
                    if (await FlushAsync(batch, context, cancellationToken) is { Count: > 0 } results)
                    {
                        yield return results;
                    }
                }

                batch.Add(row.Number, candidate, violations);
                if (batch.Count >= BatchSize)
                {
                    if (await FlushAsync(batch, context, cancellationToken) is { Count: > 0 } results)
                    {
                        yield return results;
                    }
                }
            }

            if (await FlushAsync(batch, context, cancellationToken) is { Count: > 0 } last)
            {
                yield return last;
            }
        }
        finally
        {
            db.ChangeTracker.AutoDetectChangesEnabled = detecting;
            await enumerator.DisposeAsync();
        }
    }

    private async Task<ImportContext> LoadContextAsync(CancellationToken cancellationToken)
    {
        var idp = await db.IdentityProviders.AsNoTracking()
            .Where(p => p.Type == IdentityProviderType.Wristband && p.TenantId == null)
            .Select(p => new { p.Id, p.Name })
            .FirstOrDefaultAsync(cancellationToken)
            ?? throw new InvalidOperationException("The application has no built-in identity provider.");

        // The application's roles and this tenant's own (the query filter shows no other tenant's).
        var roles = await db.Roles.AsNoTracking().Select(r => new { r.Name, r.Id }).ToListAsync(cancellationToken);
        return new ImportContext(idp.Id, idp.Name, roles.ToDictionary(r => r.Name, r => r.Id, StringComparer.Ordinal), DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime));
    }

    /// <summary>Writes the batch in one transaction; if that fails on a uniqueness race, writes its rows one by one so only the offending rows fail.</summary>
    private async Task<List<ImportRowResult>> FlushAsync(ImportBatch batch, ImportContext context, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return [];
        }

        var entries = batch.Take();
        List<ImportRowResult> results;
        try
        {
            results = await WriteAsync(entries, context, cancellationToken);
        }
        catch (DbUpdateException e) when (entries.Count(x => x.Candidate is not null) > 1 && (UniqueViolation.Is(e) || e is DbUpdateConcurrencyException))
        {
            db.ChangeTracker.Clear();
            Log.BatchRetriedRowByRow(logger, scope.TenantId!, entries.Count);
            results = [];
            foreach (var entry in entries)
            {
                results.AddRange(await WriteOneAsync(entry, context, cancellationToken));
            }
        }

        db.ChangeTracker.Clear();
        return results;
    }

    private async Task<List<ImportRowResult>> WriteOneAsync(ImportBatch.Entry entry, ImportContext context, CancellationToken cancellationToken)
    {
        try
        {
            return await WriteAsync([entry], context, cancellationToken);
        }
        catch (DbUpdateException e) when (UniqueViolation.Is(e) || e is DbUpdateConcurrencyException)
        {
            db.ChangeTracker.Clear();
            var violations = e is DbUpdateConcurrencyException
                ? ConstraintViolations.Single(ImportColumns.Email, ConcurrentChange)
                : ConstraintViolations.Single(ImportColumns.Email, ViolationCodes.NotUnique);
            return [new ImportRowResult(entry.Row, ImportRowStatus.Failed, Violations: violations)];
        }
    }

    private async Task<List<ImportRowResult>> WriteAsync(List<ImportBatch.Entry> entries, ImportContext context, CancellationToken cancellationToken)
    {
        var candidates = entries.Select(e => e.Candidate).OfType<ImportCandidate>().ToList();
        var emails = candidates.Select(c => c.NormalizedEmail).ToList();
        var existing = candidates.Count == 0
            ? []
            : await db.Users.AsNoTracking()
                .Where(u => u.IdentityProviderId == context.IdentityProviderId && emails.Contains(u.NormalizedEmail))
                .ToDictionaryAsync(u => u.NormalizedEmail, StringComparer.Ordinal, cancellationToken);
        var holders = await HoldersAsync(candidates, context, cancellationToken);
        var existingIds = existing.Values.Select(u => u.Id).ToList();
        var heldRoles = (existingIds.Count == 0 ? [] : await db.UserRoles.AsNoTracking().Where(ur => existingIds.Contains(ur.UserId)).ToListAsync(cancellationToken))
            .ToLookup(ur => ur.UserId, ur => ur.RoleId);

        var results = new List<ImportRowResult>(entries.Count);
        var deactivated = new List<string>();
        foreach (var entry in entries)
        {
            if (entry.Candidate is not { } candidate)
            {
                results.Add(new ImportRowResult(entry.Row, ImportRowStatus.Failed, Violations: entry.Violations));
                continue;
            }

            var user = existing.GetValueOrDefault(candidate.NormalizedEmail);
            if (holders.Conflicts(candidate) is { } taken)
            {
                results.Add(new ImportRowResult(entry.Row, ImportRowStatus.Failed, Violations: ConstraintViolations.Single(taken, ViolationCodes.NotUnique)));
                continue;
            }

            var newRoles = candidate.RoleIds.Except(user is null ? [] : heldRoles[user.Id]).ToList();
            if (user is null)
            {
                user = Create(candidate, context);
                db.Users.Add(user);
                results.Add(new ImportRowResult(entry.Row, ImportRowStatus.Created, user.Id));
            }
            else if (Apply(candidate, user, deactivated) || newRoles.Count > 0)
            {
                // Read untracked so unchanged rows cost no change tracking; a changed row is written whole,
                // still guarded by its version.
                db.Users.Update(user);
                results.Add(new ImportRowResult(entry.Row, ImportRowStatus.Updated, user.Id));
            }
            else
            {
                results.Add(new ImportRowResult(entry.Row, ImportRowStatus.Unchanged, user.Id));
                continue;
            }

            foreach (var roleId in newRoles)
            {
                db.UserRoles.Add(new UserRole { UserId = user.Id, RoleId = roleId });
            }
        }

        if (!results.Exists(r => r.Status is ImportRowStatus.Created or ImportRowStatus.Updated))
        {
            return results;
        }

        if (deactivated.Count == 0)
        {
            await db.SaveChangesAsync(cancellationToken);
            return results;
        }

        // A user the file deactivates is signed out as by the API's deactivation, in the same transaction as the
        // rows: an INACTIVE row must not leave a session that still signs the user in through SSO.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await UserSignOut.RevokeAsync(db, scope.TenantId!, deactivated, UserSignOut.DeactivatedReason, time.GetUtcNow(), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return results;
    }

    /// <summary>Who already holds the usernames and external ids the rows ask for.</summary>
    private async Task<KeyHolders> HoldersAsync(List<ImportCandidate> candidates, ImportContext context, CancellationToken cancellationToken)
    {
        var usernames = candidates.Select(c => c.NormalizedUsername).OfType<string>().ToList();
        var externalIds = candidates.Select(c => c.ExternalId).OfType<string>().ToList();
        var byUsername = usernames.Count == 0
            ? []
            : await db.Users.AsNoTracking()
                .Where(u => u.IdentityProviderId == context.IdentityProviderId && usernames.Contains(u.NormalizedUsername!))
                .ToDictionaryAsync(u => u.NormalizedUsername!, u => u.NormalizedEmail, StringComparer.Ordinal, cancellationToken);
        var byExternalId = externalIds.Count == 0
            ? []
            : await db.Users.AsNoTracking()
                .Where(u => u.IdentityProviderId == context.IdentityProviderId && externalIds.Contains(u.ExternalId!))
                .ToDictionaryAsync(u => u.ExternalId!, u => u.NormalizedEmail, StringComparer.Ordinal, cancellationToken);
        return new KeyHolders(byUsername, byExternalId);
    }

    private User Create(ImportCandidate candidate, ImportContext context)
    {
        var status = candidate.Status ?? UserStatus.Active;
        var user = new User
        {
            Id = LanyardId.New(time),
            IdentityProviderId = context.IdentityProviderId,
            IdentityProviderName = context.IdentityProviderName,
            Email = candidate.Email,
            NormalizedEmail = candidate.NormalizedEmail,
            EmailVerified = candidate.EmailVerified ?? false,
            Username = candidate.Username,
            NormalizedUsername = candidate.NormalizedUsername,
            ExternalId = candidate.ExternalId,
            Birthdate = candidate.Birthdate,
            PasswordHash = candidate.PasswordHash,
            Status = status,
            ActivatedAt = status == UserStatus.Active ? time.GetUtcNow() : null,
            DeactivatedAt = status == UserStatus.Inactive ? time.GetUtcNow() : null,
        };
        foreach (var field in ImportRules.TextFields)
        {
            field.Set(user, candidate.Texts.GetValueOrDefault(field.Column));
        }

        return user;
    }

    /// <summary>Copies what the row gives onto the user; true when anything changed. A user it deactivates goes into <paramref name="deactivated"/>.</summary>
    private bool Apply(ImportCandidate candidate, User user, List<string> deactivated)
    {
        var changed = false;
        void Text(string? value, string? current, Action<string> set)
        {
            if (value is not null && !string.Equals(value, current, StringComparison.Ordinal))
            {
                set(value);
                changed = true;
            }
        }

        void Value<T>(T? value, T? current, Action<T> set) where T : struct
        {
            if (value is { } given && !EqualityComparer<T?>.Default.Equals(given, current))
            {
                set(given);
                changed = true;
            }
        }

        Text(candidate.Email, user.Email, v => user.Email = v);
        Text(candidate.Username, user.Username, v =>
        {
            user.Username = v;
            user.NormalizedUsername = candidate.NormalizedUsername;
        });
        Text(candidate.ExternalId, user.ExternalId, v => user.ExternalId = v);
        Value(candidate.EmailVerified, user.EmailVerified, v => user.EmailVerified = v);
        Value(candidate.Birthdate, user.Birthdate, v => user.Birthdate = v);
        foreach (var field in ImportRules.TextFields)
        {
            Text(candidate.Texts.GetValueOrDefault(field.Column), field.Get(user), v => field.Set(user, v));
        }

        if (user.PasswordHash is null)
        {
            Text(candidate.PasswordHash, user.PasswordHash, v => user.PasswordHash = v);
        }

        Value(candidate.Status, user.Status, v =>
        {
            user.Status = v;
            if (v == UserStatus.Active)
            {
                user.ActivatedAt ??= time.GetUtcNow();
            }
            else if (v == UserStatus.Inactive)
            {
                user.DeactivatedAt = time.GetUtcNow();
                deactivated.Add(user.Id);
            }
        });
        return changed;
    }

    /// <summary>The normalized email of whoever holds each username and external id asked for.</summary>
    private sealed record KeyHolders(Dictionary<string, string> ByUsername, Dictionary<string, string> ByExternalId)
    {
        /// <summary>The column whose value another user already holds, or null.</summary>
        public string? Conflicts(ImportCandidate candidate)
        {
            if (candidate.NormalizedUsername is { } username && ByUsername.TryGetValue(username, out var holder) && holder != candidate.NormalizedEmail)
            {
                return ImportColumns.Username;
            }

            return candidate.ExternalId is { } externalId && ByExternalId.TryGetValue(externalId, out holder) && holder != candidate.NormalizedEmail
                ? ImportColumns.ExternalId
                : null;
        }
    }
}

/// <summary>The rows waiting for the next commit, with the unique keys they use.</summary>
internal sealed class ImportBatch
{
    private readonly List<Entry> _entries = [];
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);

    public int Count => _entries.Count;

    public bool Collides(ImportCandidate candidate) => Keys(candidate).Any(_keys.Contains);

    public void Add(long row, ImportCandidate? candidate, ConstraintViolations? violations)
    {
        _entries.Add(new Entry(row, candidate, violations));
        if (candidate is not null)
        {
            _keys.UnionWith(Keys(candidate));
        }
    }

    public List<Entry> Take()
    {
        var taken = _entries.ToList();
        _entries.Clear();
        _keys.Clear();
        return taken;
    }

    private static IEnumerable<string> Keys(ImportCandidate candidate)
    {
        yield return "e:" + candidate.NormalizedEmail;
        if (candidate.NormalizedUsername is { } username)
        {
            yield return "u:" + username;
        }

        if (candidate.ExternalId is { } externalId)
        {
            yield return "x:" + externalId;
        }
    }

    internal sealed record Entry(long Row, ImportCandidate? Candidate, ConstraintViolations? Violations);
}
