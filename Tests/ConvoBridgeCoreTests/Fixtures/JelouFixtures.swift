/// Payloads derived from Jelou's documentation pages (the seeds in the project's research notes): the Get
/// Conversation example, its error schema, and the Advisor Conversations fields.
enum JelouFixtures {
    /// The documented Get Conversation example (a closed conversation).
    static let closedConversation = """
        {
        "message": [
        "Conversation retrieved successfully"
        ],
        "statusMessage": "success",
        "status": 1,
        "data": {
        "_id": "CONVERSATION_ID",
        "roomId": "ROOM_ID",
        "state": "closed",
        "startAt": "2026-01-15T10:30:00.000Z",
        "endAt": "2026-01-15T10:45:00.000Z",
        "endedReason": "closed_by_operator",
        "User": {
        "id": "USER_ID",
        "names": "USER_NAME",
        "referenceId": "USER_REFERENCE_ID",
        "createdAt": "2025-01-28T20:54:25.572Z"
        },
        "Bot": {
        "id": "BOT_ID",
        "name": "BOT_NAME",
        "type": "Whatsapp"
        }
        }
        }
        """

    /// The same conversation while active: `endAt` and `endedReason` are absent ("present only if closed").
    static let activeConversation = """
        {"message": ["Conversation retrieved successfully"], "statusMessage": "success", "status": 1,
         "data": {"_id": "CONVERSATION_ID", "roomId": "ROOM_ID", "state": "active", "startAt": "2026-01-15T10:30:00.000Z",
                  "User": {"id": "USER_ID", "names": "USER_NAME", "referenceId": "USER_REFERENCE_ID"},
                  "Bot": {"id": "BOT_ID", "name": "BOT_NAME", "type": "Whatsapp"}}}
        """

    /// The documented error schema, filled in.
    static let errorEnvelope = """
        {"message": "Conversation not found", "statusMessage": "error", "status": 404,
         "error": {"code": "conversation_not_found", "key": "CONVERSATION_NOT_FOUND", "description": "The conversation does not exist",
                   "developerMessages": {}, "clientMessages": {}},
         "validationError": {}}
        """

    /// The legacy api.jelou.ai error body.
    static let legacyError = """
        {"code": "forbidden_bot", "description": "The bot does not belong to this company"}
        """

    /// An Advisor Conversations page with every documented `results[]` field.
    static let advisorPage = """
        {"message": ["Conversations retrieved"], "status": "success",
         "results": [
           {"_id": "c-1", "operator": {"names": "Ana Torres"}, "user": {"id": "u-1"}, "bot": {"name": "Asistente"},
            "company": {"id": "co-1"}, "assignationMethod": {"teamName": "Soporte"}, "state": "resolved",
            "endedReason": "closed_by_operator", "startAt": "2025-01-01T09:00:00-05:00", "endAt": "2025-01-01T09:30:00-05:00",
            "origin": "ticket", "timeRepliedOperator": 45000, "conversationDuration": 1800000},
           {"_id": "c-2", "operator": {"names": "Luis Paredes"}, "user": {"id": "u-2"}, "bot": {"name": "Asistente"},
            "company": {"id": "co-1"}, "assignationMethod": {"teamName": "Ventas"}, "state": "active",
            "endedReason": null, "startAt": "2025-01-01T10:00:00-05:00", "endAt": null,
            "origin": "ticket", "timeRepliedOperator": 12000, "conversationDuration": null}
         ],
         "pagination": {"limit": 2, "total": 5, "offset": 0, "totalPages": 3},
         "links": [{"number": 1, "url": "/v1/metrics/conversations/attended/external?limit=2&page=1"}]}
        """

    /// The documented `message` webhook event.
    static let messageEvent = """
        {"field": "messages", "object": "message_event", "event_type": "message", "timestamp": 1776134278574,
         "project_id": "p-1", "room_id": "r-1", "contact": {"id": "u-1", "name": "Ana"}, "conversation": {"id": "c-1"},
         "bot": {"id": "b-1", "name": "Asistente"}, "value": {"id": "m-1", "type": "text", "content": {"body": "hola"}}}
        """
}
