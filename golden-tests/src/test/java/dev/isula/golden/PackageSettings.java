package dev.isula.golden;

/** ApprovalTests settings: approved files live under src/test/resources, beside no code. */
public class PackageSettings {
  public static final String ApprovalBaseDirectory = "../resources";
}
