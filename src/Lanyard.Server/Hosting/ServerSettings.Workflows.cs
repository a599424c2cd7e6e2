namespace Lanyard.Server.Hosting;

/// <summary>Rate limits of the email workflows: how often a client address may sign up and how much mail one recipient or tenant may be sent.</summary>
internal sealed record WorkflowLimits
{
    /// <summary>Signups from one client address per 10 minutes (pages and API).</summary>
    public required int SignupsPerAddress { get; init; }

    /// <summary>Workflow emails (activation, verification) to one address per hour; beyond it, requests are answered as usual and nothing is sent.</summary>
    public required int EmailsPerRecipient { get; init; }

    /// <summary>Invitations (new and existing users) sent in one tenant per hour.</summary>
    public required int InvitationsPerTenant { get; init; }

    /// <summary>Invitations to one address in one tenant per hour.</summary>
    public required int InvitationsPerEmail { get; init; }
}

internal sealed partial record ServerSettings
{
    private static WorkflowLimits LoadWorkflowLimits(Reader reader) => new()
    {
        SignupsPerAddress = reader.Int("Throttling:SignupsPerAddress", 10, 1, 1_000_000),
        EmailsPerRecipient = reader.Int("Throttling:WorkflowEmailsPerRecipient", 5, 1, 1_000),
        InvitationsPerTenant = reader.Int("Throttling:InvitationsPerTenant", 100, 1, 1_000_000),
        InvitationsPerEmail = reader.Int("Throttling:InvitationsPerEmail", 5, 1, 1_000),
    };
}
