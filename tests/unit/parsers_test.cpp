#include "parsers/dates.h"
#include "parsers/parse.h"

#include <gtest/gtest.h>

using namespace specwatch;

TEST(Dates, Rfc822WithOffset) {
    EXPECT_EQ(parse::normalize_date("Tue, 10 Jun 2003 04:00:00 +0530"), "2003-06-09T22:30:00Z");
}
