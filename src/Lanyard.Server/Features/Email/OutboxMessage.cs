using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Lanyard.Server.Features.Email;

/// <summary>
/// One email waiting for (or done with) delivery. Written in the same transaction as the state change that
/// causes it, so a committed activation always has its email and a rolled-back one never sends any; the
/// <see cref="OutboxWorker"/> delivers it afterwards, with retries.
/// </summary>
internal sealed class OutboxMessage : IApplicationOwned
{
    public required string Id { get; set; }
    public string ApplicationId { get; set; } = "";

    /// <summary>The tenant the email is about, when there is one; recorded, not a scope (the worker serves every tenant).</summary>
    public string? TenantId { get; set; }

    public required string Type { get; set; }
    public required string ToAddress { get; set; }
    public string? FromName { get; set; }

    /// <summary>Subject and bodies are wiped after delivery unless configured otherwise: they hold action links.</summary>
    public string? Subject { get; set; }

    public string? TextBody { get; set; }
    public string? HtmlBody { get; set; }

    public OutboxStatus Status { get; set; } = OutboxStatus.Pending;
    public int Attempts { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }

    /// <summary>The exception type and SMTP status of the last failure; never a body or an address.</summary>
    public string? LastError { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? SentAt { get; set; }
}

internal enum OutboxStatus
{
    Pending,
    Sent,

    /// <summary>Gave up after the configured number of attempts.</summary>
    Failed,
}

internal sealed class OutboxMessageConfiguration : IEntityTypeConfiguration<OutboxMessage>
{
    public void Configure(EntityTypeBuilder<OutboxMessage> builder)
    {
        builder.ToTable("email_outbox");
        builder.HasKey(m => m.Id);
        builder.Property(m => m.Id).HasMaxLength(26);
        builder.Property(m => m.ApplicationId).HasMaxLength(26);
        builder.Property(m => m.TenantId).HasMaxLength(26);
        builder.Property(m => m.Type).HasMaxLength(64);
        builder.Property(m => m.ToAddress).HasMaxLength(200);
        builder.Property(m => m.FromName).HasMaxLength(200);
        builder.Property(m => m.Subject).HasMaxLength(500);
        builder.Property(m => m.LastError).HasMaxLength(500);
        builder.Property(m => m.Status).HasWireNames();
        builder.HasIndex(m => new { m.Status, m.NextAttemptAt });
        builder.HasIndex(m => new { m.ApplicationId, m.CreatedAt });
    }
}
