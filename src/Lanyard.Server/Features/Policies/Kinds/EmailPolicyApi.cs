using Lanyard.Server.Common;
using Lanyard.Server.Features.Email;
using Lanyard.Server.Features.Workflows;

namespace Lanyard.Server.Features.Policies;

/// <summary>
/// Wristband's email policies (<c>/email-policies</c>), one per email type and owner (the upsert key is
/// ownerType + ownerId + emailType): where the action link points and how long it works. Read by every
/// email with an action link when it is sent.
/// </summary>
internal sealed class EmailPolicyApi : PolicyKindApi<EmailPolicy>
{
    /// <summary>The longest link lifetime in any unit: 7 days (Wristband's 10,080 minutes), for a link that grants access.</summary>
    public const int MaxLifetimeMinutes = 10_080;

    private static readonly PolicySubKey EmailTypeKey = new("emailType", "email_types", EmailTypes.WithActionLink);

    public override PolicyKind Kind => PolicyKind.Email;
    public override string Collection => "email-policies";
    public override string Resource => "email-policy";
    public override string Noun => "email policy";
    public override PolicySubKey? SubKey => EmailTypeKey;

    public override void Apply(PolicyFields fields, EmailPolicy settings)
    {
        fields.PageUrl("actionLinkUrl", v => settings.ActionLinkUrl = v);
        fields.Enum<LifetimeUnit>("actionLinkLifetimeUnit", v => settings.ActionLinkLifetimeUnit = v);
        if (fields.Violations.Has("actionLinkLifetimeUnit", ViolationCodes.InvalidValue))
        {
            return;
        }

        // The value's bound depends on the unit (which may be changed alone): 1–10080 minutes, 1–168 hours, 1–7 days.
        var max = settings.ActionLinkLifetimeUnit switch
        {
            LifetimeUnit.Hours => MaxLifetimeMinutes / 60,
            LifetimeUnit.Days => MaxLifetimeMinutes / (24 * 60),
            _ => MaxLifetimeMinutes,
        };
        fields.Int("actionLinkLifetime", 1, max, v => settings.ActionLinkLifetime = v, nullable: true);
        if (!fields.Has("actionLinkLifetime") && settings.ActionLinkLifetime > max)
        {
            fields.Violations.Add("actionLinkLifetime", ViolationCodes.InvalidValue, new Dictionary<string, object> { ["min"] = 1, ["max"] = max });
        }
    }
}
