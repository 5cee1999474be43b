#include "protocol/protocol.h"

#include <gtest/gtest.h>

#include <filesystem>

using namespace specwatch;
using protocol::Json;

TEST(LineBuffer, SplitsLinesAcrossReads) {
    protocol::LineBuffer buf{100};
    buf.append("{\"cmd\":");
    EXPECT_FALSE(buf.next_line());
    buf.append("\"status\"}\n{\"cmd\":\"help\"}\r\n");
    EXPECT_EQ(*buf.next_line(), "{\"cmd\":\"status\"}");
    EXPECT_EQ(*buf.next_line(), "{\"cmd\":\"help\"}");
    EXPECT_FALSE(buf.next_line());
    EXPECT_FALSE(buf.overflowed());
}

TEST(LineBuffer, RefusesALineLongerThanTheLimit) {
    protocol::LineBuffer buf{8};
    buf.append("0123456789");
    EXPECT_TRUE(buf.overflowed());
    EXPECT_FALSE(buf.next_line());
    protocol::LineBuffer ok{8};
    ok.append("01234567\n");
    EXPECT_FALSE(ok.overflowed());
    EXPECT_EQ(*ok.next_line(), "01234567");
}

TEST(Encode, IsOneLineAndSurvivesInvalidUtf8) {
    const std::string line = protocol::encode(Json{{"title", std::string{"a\nb\xff"}}});
    EXPECT_EQ(line.back(), '\n');
    EXPECT_EQ(line.find('\n'), line.size() - 1);
    EXPECT_TRUE(Json::parse(line).is_object());
}

TEST(ItemJson, LeavesOutFieldsTheItemDoesNotHave) {
    Item item;
    item.id = "x";
    item.title = "5G";
    item.categories = {"a"};
    const Json j = protocol::item_to_json(item);
    EXPECT_EQ(j["id"], "x");
    EXPECT_EQ(j["categories"], Json::array({"a"}));
    EXPECT_FALSE(j.contains("summary"));
    EXPECT_FALSE(j.contains("start"));
    EXPECT_FALSE(j.contains("organizations"));
}

TEST(Replies, CarryTheExitCode) {
    const Json e = protocol::error_reply("bad", protocol::Exit::usage);
    EXPECT_EQ(e["ok"], false);
    EXPECT_EQ(e["exit"], 2);
    EXPECT_EQ(protocol::ok_reply(Json{{"a", 1}})["result"]["a"], 1);
}

TEST(Client, ANonexistentSocketIsUnreachableAndNamed) {
    const auto path = (std::filesystem::temp_directory_path() / "specwatch-none.sock").string();
    auto r = protocol::call(path, Json{{"cmd", "status"}}, std::chrono::seconds{1});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().exit, protocol::Exit::unreachable);
    EXPECT_NE(r.error().message.find(path), std::string::npos);
    EXPECT_NE(r.error().message.find("is specwatchd running"), std::string::npos);
}
