export const notBuildRootObject = () => 1;
