#include "common/organizations.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace specwatch;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(Organizations, knownSpellingsNormalizeToOneName) {
    const OrgTable& t = OrgTable::builtin();
    EXPECT_EQ(t.normalize("Huawei Technologies Co., Ltd."), "Huawei");
    EXPECT_EQ(t.normalize("HUAWEI"), "Huawei");
    EXPECT_EQ(t.normalize("Telefonaktiebolaget LM Ericsson"), "Ericsson");
    EXPECT_EQ(t.normalize("Ericsson LM"), "Ericsson");
    EXPECT_EQ(t.normalize("Qualcomm Incorporated"), "Qualcomm");
    EXPECT_EQ(t.normalize("Samsung Electronics Co., Ltd"), "Samsung");
    EXPECT_EQ(t.normalize("ZTE Corporation"), "ZTE");
    EXPECT_EQ(t.normalize("Cisco Systems, Inc."), "Cisco");
}

TEST(Organizations, coSourcesListedSideBySideStayDistinct) {
    const OrgTable& t = OrgTable::builtin();
    EXPECT_EQ(t.normalize("HiSilicon"), "HiSilicon");
    EXPECT_EQ(t.normalize("Nokia Shanghai Bell"), "Nokia Shanghai Bell");
    EXPECT_EQ(t.normalize("Nokia Shanghai-Bell"), "Nokia Shanghai Bell");
    EXPECT_EQ(t.normalize("Nokia"), "Nokia");
    EXPECT_EQ(t.normalize("Sanechips"), "Sanechips");
}

TEST(Organizations, unknownNamesLoseOnlyTrailingLegalFormsAndExtraSpace) {
    const OrgTable& t = OrgTable::builtin();
    EXPECT_EQ(t.normalize("  Foo   Widgets GmbH "), "Foo Widgets");
    EXPECT_EQ(t.normalize("Private Octopus Inc."), "Private Octopus");
    EXPECT_EQ(t.normalize("Uber Technologies, Inc."), "Uber Technologies");
    EXPECT_EQ(t.normalize("UCLouvain"), "UCLouvain");
    EXPECT_EQ(t.normalize("AB"), "AB");  // a name that is all legal form stays
    EXPECT_EQ(t.normalize(" , . "), "");
}

TEST(Organizations, rolesNameTheCompanyInParentheses) {
    EXPECT_EQ(OrgTable::builtin().normalize("Moderator (Qualcomm)"), "Qualcomm");
    EXPECT_EQ(OrgTable::builtin().normalize("Feature lead (Nokia)"), "Nokia");
    EXPECT_EQ(OrgTable::builtin().normalize("CATT (Datang)"), "CATT (Datang)");
}

TEST(Organizations, splitKeepsALegalFormAfterACommaWithItsName) {
    const OrgTable& t = OrgTable::builtin();
    EXPECT_THAT(t.split("Huawei, HiSilicon"), ElementsAre("Huawei", "HiSilicon"));
    EXPECT_THAT(t.split("Huawei Technologies Co., Ltd., HiSilicon"),
                ElementsAre("Huawei", "HiSilicon"));
    EXPECT_THAT(t.split("Nokia; Nokia Shanghai Bell\nEricsson"),
                ElementsAre("Nokia", "Nokia Shanghai Bell", "Ericsson"));
    EXPECT_THAT(t.split("Huawei, Huawei Technologies, HUAWEI"), ElementsAre("Huawei"));
    EXPECT_THAT(t.split(" , ; "), IsEmpty());
}

TEST(Organizations, countriesAreKnownForTableNamesOnly) {
    const OrgTable& t = OrgTable::builtin();
    EXPECT_EQ(t.country("Huawei"), "CN");
    EXPECT_EQ(t.country("Ericsson"), "SE");
    EXPECT_EQ(t.country("Nokia"), "FI");
    EXPECT_EQ(t.country("Nokia Shanghai Bell"), "CN");
    EXPECT_EQ(t.country("Foo Widgets"), "");
}

TEST(Organizations, configEntriesExtendAndOverrideTheBuiltInTable) {
    const OrgTable t({{"Nokia", "FI", {"Nokia Shanghai Bell"}}, {"Foo Widgets", "DE", {"FW"}}});
    EXPECT_EQ(t.normalize("Nokia Shanghai Bell"), "Nokia");
    EXPECT_EQ(t.normalize("FW Inc."), "Foo Widgets");
    EXPECT_EQ(t.country("Foo Widgets"), "DE");
    EXPECT_EQ(t.normalize("Huawei Tech"), "Huawei");  // the built-in entries remain
    EXPECT_EQ(OrgTable::builtin().normalize("Nokia Shanghai Bell"), "Nokia Shanghai Bell");
}

TEST(Organizations, keysIgnoreCasePunctuationAndLegalForms) {
    EXPECT_EQ(org_key("Nokia Shanghai-Bell"), "nokia shanghai bell");
    EXPECT_EQ(org_key("AT&T Inc."), "at&t");
    EXPECT_EQ(org_key("NTT DOCOMO, INC."), "ntt docomo");
}
