namespace Lanyard.Server.Features.Policies;

/// <summary>
/// A kind of policy has several rows per owner, told apart by one field of the request (an email policy's
/// <c>emailType</c>): the field is part of the upsert match key and stored as the row's sub-key.
/// </summary>
/// <param name="Field">The JSON field, e.g. <c>emailType</c>.</param>
/// <param name="QueryParameter">The resolve-overrides query parameter that narrows the answer, e.g. <c>email_types</c>.</param>
/// <param name="Values">Every accepted value, in the order resolve-overrides lists them.</param>
internal sealed record PolicySubKey(string Field, string QueryParameter, IReadOnlyList<string> Values);

/// <summary>
/// What makes one policy kind's management API: its settings class (whose JSON is the API's shape, the
/// same as what is stored), its routes and permission names, and its field rules. Everything else — owners,
/// upsert, reading by id, override toggles, resolve-overrides — is <see cref="PolicyEndpoints"/> and
/// <see cref="PolicyStore"/>, the same for every kind.
/// </summary>
internal abstract class PolicyKindApi<T> where T : class, new()
{
    public abstract PolicyKind Kind { get; }

    /// <summary>The collection path: <c>/api/v1/{Collection}</c>, e.g. <c>password-policies</c>.</summary>
    public abstract string Collection { get; }

    /// <summary>The singular resource name: permissions <c>{Resource}:read|write</c>, toggles at <c>/{Resource}-override-toggles</c>.</summary>
    public abstract string Resource { get; }

    /// <summary>How messages name the kind, e.g. "password policy".</summary>
    public abstract string Noun { get; }

    public virtual PolicySubKey? SubKey => null;

    public string ReadPermission => $"{Resource}:read";

    public string WritePermission => $"{Resource}:write";

    /// <summary>Applies the fields the request names to <paramref name="settings"/>, recording violations in <paramref name="fields"/>.</summary>
    public abstract void Apply(PolicyFields fields, T settings);

    /// <summary>
    /// Rules on the merged result that need more than the request (the database, the caller, server settings):
    /// violations go to <paramref name="fields"/>; a refusal that is not about a field (a privilege the caller
    /// lacks) is returned. Runs only when <see cref="Apply"/> found nothing wrong, in the owner's scope.
    /// </summary>
    public virtual Task<IResult?> CheckAsync(T settings, PolicyFields fields, HttpContext http, CancellationToken cancellationToken) =>
        Task.FromResult<IResult?>(null);
}
