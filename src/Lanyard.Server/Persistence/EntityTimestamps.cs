namespace Lanyard.Server.Persistence;

/// <summary>Wristband's <c>metadata</c> block: creation and modification times plus an optimistic version.</summary>
internal interface IVersioned
{
    DateTimeOffset CreatedAt { get; set; }
    DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Incremented on every update; also the optimistic concurrency token.</summary>
    long Version { get; set; }
}
