#!/usr/bin/perl
# edgewatch lab stand-in for /netscaler/portal/scripts/newbm.pl (Citrix Gateway portal script).
# Not the vendor file: the one shipped with 13.0-47.22 has MD5 0591c29843bc5a48368ed06c23a3733a.
use strict;
use warnings;
print "Content-Type: text/html; charset=UTF-8\r\n\r\n";
# Stores a new personal bookmark for the logged-on user (bm_prefix_<user>.xml).
my %bm = (title => "", url => "");
print "OK\n";
