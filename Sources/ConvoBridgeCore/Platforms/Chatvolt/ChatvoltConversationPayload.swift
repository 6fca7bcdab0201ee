/// Normalizes Chatvolt's `ConversationDetailed` (`GET /conversation/{id}`, and each item of `GET /conversation`):
/// a bare object, no envelope.
///
/// | snapshot | Chatvolt |
/// |---|---|
/// | `state`, `status` | `status`; `RESOLVED` → closed, `UNRESOLVED`/`HUMAN_REQUESTED` → open |
/// | `started_at`, `updated_at` | `createdAt`, `updatedAt` (the change watermark) |
/// | `user` | `userId` or else `visitorId`; the first participant contact's name; its `externalId` |
/// | `bot` | `agentId`; `channel` |
/// | `assignee` | `assignees[0].user` (`id`, `name` or else `email`) |
/// | `priority` | `priority` (`LOW`, `MEDIUM`, `HIGH`) |
/// | `attributes` | `ai_enabled` (`isAiEnabled`: false after a handoff to a human), `tags` (sorted), `assignees` (when more than one), `crm_steps` |
///
/// Chatvolt has no end reason and no end time. Fields that change with every message (`unreadMessagesCount`,
/// `lastHumanInteractionAt`, `frustration`) are left out of the snapshot so a message is not a transition; they are
/// in `raw`.
public enum ChatvoltConversationPayload {
    public static let context = "chatvolt conversation"

    public static let coverage: Set<SnapshotField> = [
        .state, .startedAt, .updatedAt, .userID, .userName, .userReferenceID, .botID, .botChannel,
        .assigneeID, .assigneeName, .priority,
    ]
    public static let coveredAttributes: Set<String> = ["ai_enabled", "tags", "assignees", "crm_steps"]

    public static func observation(from body: JSONValue) throws(PayloadError) -> ObservedConversation {
        guard body.objectValue != nil else { throw PayloadError(context: context, path: "", problem: "expected an object, found \(body.kindName)") }
        let reader = PayloadReader(context: context, root: body)
        let state = try reader.requiredString("status")
        let contact = try reader.array("participantsContacts")?.first.map { PayloadReader(context: context + " participantsContacts[0]", root: $0) }
        let contactName = [try contact?.string("firstName"), try contact?.string("lastName")].compactMap { $0 }.filter { !$0.isEmpty }
        let assignees = try reader.elements("assignees") { (user) throws(PayloadError) in
            ConversationSnapshot.Assignee(id: try user.string("user.id"), name: try user.string(firstOf: "user.name", "user.email")).nonEmpty
        }
        var attributes = JSONObject()
        if let aiEnabled = try reader.bool("isAiEnabled") { attributes["ai_enabled"] = .bool(aiEnabled) }
        let tags = try reader.elements("tags") { (tag) throws(PayloadError) in try tag.string("tag") }
        if !tags.isEmpty { attributes["tags"] = .array(tags.sorted().map(JSONValue.string)) }
        if assignees.count > 1 {
            attributes["assignees"] = .array(assignees.map { .optional($0.id ?? $0.name) })
        }
        let steps = try reader.elements("crmScenarioConversations") { (link) throws(PayloadError) in
            try link.string(firstOf: "step.name", "stepId")
        }
        if !steps.isEmpty { attributes["crm_steps"] = .array(steps.sorted().map(JSONValue.string)) }
        let snapshot = ConversationSnapshot(
            conversationID: try reader.requiredString("id"),
            platform: .chatvolt,
            status: ChatvoltStatus.status(of: state),
            state: state,
            startedAt: try reader.timestamp("createdAt"),
            updatedAt: try reader.timestamp("updatedAt"),
            user: ConversationSnapshot.User(
                id: try reader.string(firstOf: "userId", "visitorId"),
                name: contactName.isEmpty ? nil : contactName.joined(separator: " "),
                referenceID: try contact?.string("externalId")
            ).nonEmpty,
            bot: ConversationSnapshot.Bot(id: try reader.string("agentId"), channel: try reader.string("channel")).nonEmpty,
            assignee: assignees.first?.nonEmpty,
            priority: try reader.string("priority"),
            attributes: attributes
        )
        return ObservedConversation(snapshot: snapshot, coverage: coverage, coveredAttributes: coveredAttributes, raw: body)
    }
}
