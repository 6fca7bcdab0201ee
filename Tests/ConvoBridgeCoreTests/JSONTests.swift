import ConvoBridgeCore
import Testing

@Suite("JSON parser and writer")
struct JSONTests {
    @Test("round trip keeps member order and number literals")
    func roundTrip() throws {
        let text = #"{"b":1.10,"a":[true,false,null,"x\"y\\z\n",-0.5e3],"c":{"z":{},"y":[]},"u":"é ☃ 😀"}"#
        let value = try JSONParser.parse(text)
        #expect(JSONWriter.string(value) == text)
        #expect(value["b"] == .number("1.10"))
        #expect(value["c"]?.objectValue?.keys == ["z", "y"])
    }

    @Test("unicode escapes, including surrogate pairs, decode")
    func unicodeEscapes() throws {
        let value = try JSONParser.parse(#"["\u00e9\ud83d\ude00\/\t"]"#)
        #expect(value.arrayValue?.first == .string("é😀/\t"))
    }

    @Test("the writer escapes control characters")
    func controlCharacters() {
        #expect(JSONWriter.string(.string("a\u{01}b\u{1f}")) == #""a\u0001b\u001f""#)
    }

    @Test(
        "malformed input is rejected with the offset of the problem",
        arguments: [
            ("", 0), ("{", 1), (#"{"a" 1}"#, 5), ("[1,]", 3), ("01", 1), ("1.", 2), (#""abc"#, 4), ("tru", 0),
            (#"{"a":1} x"#, 8), (#""\ud800""#, 7), ("[1 2]", 3), ("<html>", 0),
        ])
    func malformed(input: String, offset: Int) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(input) }
        do {
            _ = try JSONParser.parse(input)
        } catch {
            #expect(error.offset == offset, "\(input): \(error)")
        }
    }

    @Test("a member name twice is refused, in small and large objects (readers disagree on which value wins)")
    func duplicateNames() throws {
        let small = #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(#"{"_id": "a", "state": "x", "_id": "b"}"#.utf8)) }
        #expect(small?.description == #"invalid JSON at byte 27: duplicate member name "_id""#)
        let members = (0..<40).map { #""k\#($0)": \#($0)"# }
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(("{" + (members + [#""k3": 0"#]).joined(separator: ",") + "}").utf8)) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(("{" + (members + [#""k39": 0"#]).joined(separator: ",") + "}").utf8)) }
        let distinct = try JSONParser.parse(Array(("{" + members.joined(separator: ",") + "}").utf8))
        #expect(distinct.objectValue?.members.count == 40)
        #expect(
            try JSONParser.parse(Array(#"{"a": {"x": 1}, "b": {"x": 2}}"#.utf8))["b"]?["x"] == .integer(2),
            "the same name in different objects is fine")
    }

    @Test("nesting beyond the limit is refused, not a stack overflow")
    func deepNesting() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
        let fine = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect((try? JSONParser.parse(fine)) != nil)
    }

    @Test("invalid UTF-8 in a string is refused")
    func invalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xFF, 0x22]) }
    }

    @Test("object subscript replaces, appends and removes")
    func objectSubscript() {
        var object: JSONObject = ["a": .integer(1), "b": .integer(2)]
        object["a"] = .integer(3)
        object["c"] = .null
        object["b"] = nil
        #expect(JSONWriter.string(.object(object)) == #"{"a":3,"c":null}"#)
    }
}
