#!/usr/bin/perl
# edgewatch lab stand-in for /netscaler/portal/scripts/PersonalBookmark.pl (Citrix Gateway portal script).
# Not the vendor file: the one shipped with 13.0-47.22 has MD5 d45a1c4924170e2c398831676a3b8102.
use strict;
use warnings;
print "Content-Type: text/html; charset=UTF-8\r\n\r\n";
# PersonalBookmark.pl: portal page helper.
print "<html><body></body></html>\n";
