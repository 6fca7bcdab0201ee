/// Payloads derived from Chatvolt's documentation (the Get Conversation By Id page in the seeds and the OpenAPI
/// `ConversationDetailed` schema it renders): the documented fields with values of their documented types.
enum ChatvoltFixtures {
    /// A conversation handed to a human (`HUMAN_REQUESTED`, AI off), assigned, tagged, in a CRM step.
    static let humanRequested = """
        {
          "id": "clx9k2m3n0001abcd1234efgh",
          "title": "Order 1042 never arrived",
          "unreadMessagesCount": 2,
          "isAiEnabled": false,
          "channel": "whatsapp",
          "status": "HUMAN_REQUESTED",
          "blocked": false,
          "isGroup": false,
          "priority": "HIGH",
          "metadata": {"orderId": "1042"},
          "channelExternalId": "5511999990000",
          "channelCredentialsId": "cred_01",
          "organizationId": "org_01",
          "mailInboxId": null,
          "formId": null,
          "agentId": "agent_01",
          "userId": null,
          "visitorId": "visitor_77",
          "frustration": 0.62,
          "npsStep": 0,
          "npsRating": null,
          "createdAt": "2026-01-15T10:30:00.000Z",
          "updatedAt": "2026-01-15T10:41:07.250Z",
          "lastHumanInteractionAt": "2026-01-15T10:40:00.000Z",
          "participantsContacts": [
            {"id": "contact_01", "email": "ana@example.com", "phoneNumber": "+5511999990000", "firstName": "Ana", "lastName": "Souza", "externalId": "crm-8812"}
          ],
          "ctwaAttributions": [],
          "conversationVariables": [
            {"conversationId": "clx9k2m3n0001abcd1234efgh", "varName": "order", "varValue": "1042", "createdAt": "2026-01-15T10:31:00.000Z", "updatedAt": "2026-01-15T10:31:00.000Z"}
          ],
          "conversationContexts": [{"context": "customer asks about a late order", "updatedAt": "2026-01-15T10:32:00.000Z"}],
          "assignees": [{"user": {"id": "user_42", "name": "Bruno Lima", "email": "bruno@example.com"}}],
          "tags": [{"tag": "shipping"}, {"tag": "angry"}],
          "crmScenarioConversations": [
            {"id": "link_01", "scenarioId": "sc_01", "stepId": "st_02", "available": true, "processingJob": null,
             "processingJobExpiresAt": null, "scenario": {"id": "sc_01", "name": "Support"}, "step": {"id": "st_02", "name": "Waiting for agent"},
             "createdAt": "2026-01-15T10:33:00.000Z", "updatedAt": "2026-01-15T10:33:00.000Z"}
          ]
        }
        """

    /// The same conversation resolved: unassigned, AI back on, no CRM link.
    static let resolved = """
        {"id": "clx9k2m3n0001abcd1234efgh", "isAiEnabled": true, "channel": "whatsapp", "status": "RESOLVED", "priority": "HIGH",
         "organizationId": "org_01", "agentId": "agent_01", "visitorId": "visitor_77",
         "createdAt": "2026-01-15T10:30:00.000Z", "updatedAt": "2026-01-15T11:02:00.000Z",
         "participantsContacts": [{"id": "contact_01", "firstName": "Ana", "lastName": "Souza", "externalId": "crm-8812"}],
         "assignees": [], "tags": [{"tag": "angry"}, {"tag": "shipping"}], "crmScenarioConversations": []}
        """

    /// An error body as Chatvolt documents them on its other endpoints.
    static let notFoundError = #"{"error": "No Conversation found"}"#
}
