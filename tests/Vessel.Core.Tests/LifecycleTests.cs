using Vessel.Core.Model;

namespace Vessel.Core.Tests;

public sealed class LifecycleTests
{
    private const string Name = "web1";

    /// <summary>The lifecycle as documented: which statuses each action starts from, with and without force, and what it passes through.</summary>
    private static readonly Dictionary<InstanceAction, (string Verb, InstanceStatus[] Allowed, InstanceStatus[] ForceOnly, InstanceStatus During)> Table = new()
    {
        [InstanceAction.Start] = ("start", [InstanceStatus.Stopped, InstanceStatus.Error], [], InstanceStatus.Starting),
        [InstanceAction.Stop] = ("stop", [InstanceStatus.Running, InstanceStatus.Frozen],
            [InstanceStatus.Starting, InstanceStatus.Stopping, InstanceStatus.Error], InstanceStatus.Stopping),
        [InstanceAction.Restart] = ("restart", [InstanceStatus.Running], [InstanceStatus.Frozen, InstanceStatus.Error], InstanceStatus.Stopping),
        [InstanceAction.Freeze] = ("freeze", [InstanceStatus.Running], [], InstanceStatus.Running),
        [InstanceAction.Unfreeze] = ("unfreeze", [InstanceStatus.Frozen], [], InstanceStatus.Frozen),
    };

    public static TheoryData<InstanceAction, InstanceStatus, bool> EveryCase()
    {
        var data = new TheoryData<InstanceAction, InstanceStatus, bool>();
        foreach (var action in Enum.GetValues<InstanceAction>())
        {
            foreach (var status in Enum.GetValues<InstanceStatus>())
            {
                data.Add(action, status, false);
                data.Add(action, status, true);
            }
        }
        return data;
    }

    [Fact]
    public void Table_CoversEveryAction() => Assert.Equal(Enum.GetValues<InstanceAction>().Order(), Table.Keys.Order());

    [Theory]
    [MemberData(nameof(EveryCase))]
    public void Begin_FollowsTheTable(InstanceAction action, InstanceStatus current, bool force)
    {
        var (verb, allowed, forceOnly, during) = Table[action];

        if (allowed.Contains(current) || (force && forceOnly.Contains(current)))
        {
            Assert.Equal(during, Lifecycle.Begin(Name, current, action, force));
            return;
        }
        var e = Assert.Throws<ConflictException>(() => Lifecycle.Begin(Name, current, action, force));
        var hint = forceOnly.Contains(current) ? " (use --force)" : "";
        Assert.Equal($"cannot {verb} instance \"{Name}\": it is {current}{hint}", e.Message);
        Assert.Equal(409, e.StatusCode);
    }

    [Fact]
    public void Begin_ForcedOnlyCase_SuggestsForce()
    {
        var e = Assert.Throws<ConflictException>(() => Lifecycle.Begin("db", InstanceStatus.Error, InstanceAction.Stop, force: false));

        Assert.Equal("cannot stop instance \"db\": it is Error (use --force)", e.Message);
    }

    [Fact]
    public void Begin_ImpossibleEvenWithForce_DoesNotSuggestForce()
    {
        var e = Assert.Throws<ConflictException>(() => Lifecycle.Begin("db", InstanceStatus.Running, InstanceAction.Start, force: true));

        Assert.Equal("cannot start instance \"db\": it is Running", e.Message);
    }

    [Theory]
    [InlineData(InstanceAction.Start, InstanceStatus.Running)]
    [InlineData(InstanceAction.Restart, InstanceStatus.Running)]
    [InlineData(InstanceAction.Unfreeze, InstanceStatus.Running)]
    [InlineData(InstanceAction.Stop, InstanceStatus.Stopped)]
    [InlineData(InstanceAction.Freeze, InstanceStatus.Frozen)]
    public void Settled_IsWhereTheActionEnds(InstanceAction action, InstanceStatus settled) =>
        Assert.Equal(settled, Lifecycle.Settled(action));

    [Fact]
    public void Settled_OfEveryAction_IsAStableStatus()
    {
        foreach (var action in Enum.GetValues<InstanceAction>())
            Assert.DoesNotContain(Lifecycle.Settled(action), new[] { InstanceStatus.Starting, InstanceStatus.Stopping });
    }

    [Theory]
    [InlineData(InstanceStatus.Stopped)]
    [InlineData(InstanceStatus.Error)]
    public void CheckDelete_StoppedOrError_IsAllowed(InstanceStatus status) => Lifecycle.CheckDelete(Name, status, force: false);

    [Theory]
    [InlineData(InstanceStatus.Starting)]
    [InlineData(InstanceStatus.Running)]
    [InlineData(InstanceStatus.Stopping)]
    [InlineData(InstanceStatus.Frozen)]
    public void CheckDelete_NotStopped_NeedsForce(InstanceStatus status)
    {
        var e = Assert.Throws<ConflictException>(() => Lifecycle.CheckDelete(Name, status, force: false));

        Assert.Equal($"cannot delete instance \"{Name}\": it is {status} (stop it first or use --force)", e.Message);
        Lifecycle.CheckDelete(Name, status, force: true);
    }

    [Theory]
    [InlineData("start", InstanceAction.Start)]
    [InlineData("stop", InstanceAction.Stop)]
    [InlineData("restart", InstanceAction.Restart)]
    [InlineData("freeze", InstanceAction.Freeze)]
    [InlineData("pause", InstanceAction.Freeze)]
    [InlineData("unfreeze", InstanceAction.Unfreeze)]
    [InlineData("resume", InstanceAction.Unfreeze)]
    public void ParseAction_KnowsVerbsAndAliases(string text, InstanceAction action) => Assert.Equal(action, Lifecycle.ParseAction(text));

    [Theory]
    [InlineData("Start")]
    [InlineData("kill")]
    [InlineData("")]
    public void ParseAction_Unknown_IsBadRequest(string text)
    {
        var e = Assert.Throws<BadRequestException>(() => Lifecycle.ParseAction(text));

        Assert.Equal($"action: \"{text}\" is not one of start, stop, restart, freeze, unfreeze", e.Message);
    }

    [Fact]
    public void Verb_IsTheLowercaseActionName()
    {
        foreach (var action in Enum.GetValues<InstanceAction>())
            Assert.Equal(Table[action].Verb, Lifecycle.Verb(action));
    }
}
