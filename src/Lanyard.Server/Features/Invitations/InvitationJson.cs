using Lanyard.Server.Common;
using Lanyard.Server.Features.Workflows;

namespace Lanyard.Server.Features.Invitations;

internal sealed record InvitationMetadata(DateTimeOffset CreationTime, DateTimeOffset LastModifiedTime);

/// <summary>Wristband's new-user invitation request object.</summary>
internal sealed record NewUserInvitationJson(
    string Id,
    string TenantId,
    string ApplicationId,
    string InvitationType,
    string? InviteeName,
    string Email,
    IReadOnlyList<string> RolesToAssign,
    DateTimeOffset ExpirationTime,
    string Status,
    InvitationMetadata Metadata)
{
    public static NewUserInvitationJson From(InvitationRequest invitation) => new(
        invitation.Id, invitation.TenantId, invitation.ApplicationId, "EMAIL", invitation.InviteeName, invitation.Email,
        invitation.RolesToAssign, invitation.ExpiresAt, WireName<InvitationStatus>.Of(invitation.Status),
        new InvitationMetadata(invitation.CreatedAt, invitation.UpdatedAt));
}

internal sealed record NewUserInvitationEnvelope(NewUserInvitationJson NewUserInvitationRequest);

internal sealed record ExistingUserInvitationJson(string Id, string UserId, string TenantId, string Email, string Status, DateTimeOffset ExpirationTime)
{
    public static ExistingUserInvitationJson From(InvitationRequest invitation) => new(
        invitation.Id, invitation.UserId, invitation.TenantId, invitation.Email, WireName<InvitationStatus>.Of(invitation.Status), invitation.ExpiresAt);
}

internal sealed record ExistingUserInvitationEnvelope(ExistingUserInvitationJson ExistingUserInvitationRequest);

internal sealed record InvitationPage(int TotalResults, int StartIndex, int ItemsPerPage, IReadOnlyList<NewUserInvitationJson> Items);

internal sealed record CancelInviteRequest(string? NewUserInvitationRequestId);

internal sealed record ExistingUserInviteRequest(string? UserId);

internal sealed record EmailAuthCodeRequest(string? EmailAuthCode);

internal sealed record NewUserAcceptRequest(
    string? EmailAuthCode, string? Password, string? Username, string? GivenName, string? FamilyName, string? FullName, string? PhoneNumber, string? Birthdate)
{
    public AcceptInput ToInput() => new(Password, Username, GivenName, FamilyName, FullName, PhoneNumber, Birthdate);
}

internal sealed record ExistingUserAcceptRequest(string? EmailAuthCode, string? Password);

internal sealed record AcceptResponse(string UserId, string TenantId, string RedirectUrl, string AuthSessionCode);

internal sealed record IntrospectResponse(
    bool Valid,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Email = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? TenantId = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? ExpiresAt = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? RequiredFields = null)
{
    public static IntrospectResponse From(PendingInvitation? pending) => pending is null
        ? new IntrospectResponse(false)
        : new IntrospectResponse(true, pending.User.Email, pending.Tenant.Id, pending.Invitation.ExpiresAt, pending.RequiredFields);
}
